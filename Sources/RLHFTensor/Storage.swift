// Storage: a reference-counted, 64-byte-aligned Float32 buffer shared by tensor views, drawn from a
// size-bucketed pool so that a training loop's same-sized buffers are reused instead of being mapped,
// page-faulted and zeroed again on every step.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Freed buffers kept for reuse, by size class. Buffers below 64 KiB go straight to malloc (which already
/// reuses them); larger ones are rounded up to a quarter-octave class (4, 5, 6 or 7 × 2^k elements, at most
/// 25% slack) so that the varying shapes of batches of varying length reuse each other's buffers, and are
/// kept up to `capacityBytes` in all.
final class BufferPool: @unchecked Sendable {
    static let shared = BufferPool()

    /// Most bytes kept idle: `RLHF_POOL_MB` MiB, default 4096.
    let capacityBytes: Int
    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private var idleBytes = 0
    private var lock = pthread_mutex_t()

    private init() {
        pthread_mutex_init(&lock, nil)
        if let s = getenv("RLHF_POOL_MB"), let mb = Int(String(cString: s)), mb >= 0 {
            capacityBytes = mb << 20
        } else {
            capacityBytes = 4096 << 20
        }
    }

    static let minPooledBytes = 64 << 10

    /// The element count actually allocated for a request of `count`: its size class when pooled.
    static func sizeClass(_ count: Int) -> Int {
        if count * 4 < minPooledBytes { return count }
        let k = Int.bitWidth - 1 - count.leadingZeroBitCount   // 2^k ≤ count < 2^(k+1)
        let step = 1 << (k - 2)
        return (count + step - 1) / step * step
    }

    func take(_ count: Int) -> UnsafeMutablePointer<Float>? {
        if count * 4 < BufferPool.minPooledBytes { return nil }
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        guard var list = free[count], let p = list.popLast() else { return nil }
        free[count] = list.isEmpty ? nil : list
        idleBytes -= count * 4
        return p
    }

    /// Keeps `p` for reuse, or returns false when it should be freed.
    func give(_ p: UnsafeMutablePointer<Float>, _ count: Int) -> Bool {
        let bytes = count * 4
        if bytes < BufferPool.minPooledBytes { return false }
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        if idleBytes + bytes > capacityBytes { return false }
        free[count, default: []].append(p)
        idleBytes += bytes
        return true
    }
}

/// The memory behind one or more `Tensor` views: `count` Float32 values, 64-byte aligned. Views
/// (reshape, permute, slice) share it; writes through `pointer` are seen by all.
public final class TensorStorage: @unchecked Sendable {
    /// First element.
    public let pointer: UnsafeMutablePointer<Float>
    /// Number of Float32 values.
    public let count: Int
    /// Floats allocated (the pool's size class of `count`).
    let capacity: Int

    /// Allocates `count` floats aligned to 64 bytes, zero-filled unless `zeroed` is false (then the
    /// caller must write every element before it is read).
    public init(count: Int, zeroed: Bool = true) {
        precondition(count >= 0, "TensorStorage: negative count \(count)")
        self.count = count
        capacity = BufferPool.sizeClass(count)
        if let p = BufferPool.shared.take(capacity) {
            pointer = p
        } else {
            var raw: UnsafeMutableRawPointer? = nil
            let bytes = Swift.max(capacity, 1) * MemoryLayout<Float>.stride
            let rc = posix_memalign(&raw, 64, bytes)
            precondition(rc == 0 && raw != nil, "TensorStorage: cannot allocate \(bytes) bytes")
            pointer = raw!.bindMemory(to: Float.self, capacity: Swift.max(capacity, 1))
        }
        if zeroed { memset(pointer, 0, Swift.max(count, 1) * MemoryLayout<Float>.stride) }
    }

    /// Allocates storage holding a copy of `values`.
    public convenience init(_ values: [Float]) {
        self.init(count: values.count, zeroed: values.isEmpty)
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    deinit {
        if !BufferPool.shared.give(pointer, capacity) { free(pointer) }
    }

    /// The whole buffer.
    public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }
}
