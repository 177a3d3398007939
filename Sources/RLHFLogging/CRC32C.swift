// CRC-32C (Castagnoli): reflected polynomial 0x82F63B78, initial value 0xFFFFFFFF, final xor 0xFFFFFFFF,
// computed slicing-by-8 (eight 256-entry tables, eight bytes per step). TFRecord (and so TensorBoard event
// files, LevelDB) store a "masked" CRC: rotate right by 15 and add 0xA282EAD8, so that a CRC over data that
// itself contains CRCs does not degenerate.

/// Slicing-by-8 tables, flattened: `table[k * 256 + b]` is the CRC of byte `b` followed by `k` zero bytes.
private let crc32cTable: [UInt32] = {
    var table = [UInt32](repeating: 0, count: 8 * 256)
    for byte in 0..<256 {
        var crc = UInt32(byte)
        for _ in 0..<8 {
            crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1
        }
        table[byte] = crc
    }
    for k in 1..<8 {
        for byte in 0..<256 {
            let previous = table[(k - 1) * 256 + byte]
            table[k * 256 + byte] = (previous >> 8) ^ table[Int(previous & 0xFF)]
        }
    }
    return table
}()

/// The CRC-32C (Castagnoli) of `bytes`, e.g. `crc32c("123456789") == 0xE3069283`.
public func crc32c(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
    crc32cTable.withUnsafeBufferPointer { t in
        var crc: UInt32 = 0xFFFF_FFFF
        let count = bytes.count
        var i = 0
        // Eight bytes a step: the running CRC folds into the first four, each byte looks up the table for its
        // distance from the end of the block.
        while count - i >= 8 {
            let lo = crc ^ UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt32.self))
            let hi = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self))
            crc =
                t[7 * 256 + Int(lo & 0xFF)] ^ t[6 * 256 + Int((lo >> 8) & 0xFF)]
                ^ t[5 * 256 + Int((lo >> 16) & 0xFF)] ^ t[4 * 256 + Int(lo >> 24)]
                ^ t[3 * 256 + Int(hi & 0xFF)] ^ t[2 * 256 + Int((hi >> 8) & 0xFF)]
                ^ t[1 * 256 + Int((hi >> 16) & 0xFF)] ^ t[Int(hi >> 24)]
            i += 8
        }
        while i < count {
            crc = (crc >> 8) ^ t[Int((crc ^ UInt32(bytes[i])) & 0xFF)]
            i += 1
        }
        return ~crc
    }
}

/// The CRC-32C (Castagnoli) of `bytes`.
public func crc32c(_ bytes: [UInt8]) -> UInt32 {
    bytes.withUnsafeBytes { crc32c($0) }
}

/// TFRecord's masking of a CRC: `((crc >> 15) | (crc << 17)) &+ 0xA282EAD8`.
func maskCRC32C(_ crc: UInt32) -> UInt32 {
    ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
}

/// The masked CRC-32C that TFRecord (and TensorBoard event files) store after a record's length and data.
public func maskedCRC32C(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
    maskCRC32C(crc32c(bytes))
}

/// The masked CRC-32C that TFRecord (and TensorBoard event files) store after a record's length and data.
public func maskedCRC32C(_ bytes: [UInt8]) -> UInt32 {
    maskCRC32C(crc32c(bytes))
}
