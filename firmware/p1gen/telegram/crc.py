"""CRC-16/ARC (poly 0xA001 reflected, init 0, no final xor), as DSMR 4+ telegrams use.

Written here because neither MicroPython nor its library ships a CRC-16: binascii
has only crc32. Table-driven: 256 entries built once.
"""

_TABLE = []
for _byte in range(256):
    _crc = _byte
    for _ in range(8):
        _crc = (_crc >> 1) ^ 0xA001 if _crc & 1 else _crc >> 1
    _TABLE.append(_crc)

HEX = b"0123456789ABCDEF"


def crc16(data, start=0, end=None):
    """CRC of data[start:end] (bytes or bytearray) without slicing a copy."""
    table = _TABLE
    crc = 0
    if end is None:
        end = len(data)
    for i in range(start, end):
        crc = (crc >> 8) ^ table[(crc ^ data[i]) & 0xFF]
    return crc


def write_hex4(buf, pos, crc):
    """Write crc as 4 uppercase hex digits into buf at pos."""
    buf[pos] = HEX[(crc >> 12) & 0xF]
    buf[pos + 1] = HEX[(crc >> 8) & 0xF]
    buf[pos + 2] = HEX[(crc >> 4) & 0xF]
    buf[pos + 3] = HEX[crc & 0xF]
