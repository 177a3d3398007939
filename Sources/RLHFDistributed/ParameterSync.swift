// Parameters and gradients across ranks. Gradients travel as one flat buffer per optimizer update (every
// trained parameter's gradient end to end, in the optimizer's order; with LoRA only the adapters and the
// heads are trained, so only they travel), summed in rank order and divided by the world size, so that
// every rank applies the identical update and the ranks' weights stay bit for bit the same.

import RLHFNN
import RLHFTensor

extension ProcessGroup {
    /// Replaces each parameter's gradient with its mean over ranks (a parameter without a gradient on a
    /// rank counts as zeros there). Every rank passes the same parameters in the same order.
    public func averageGradients(_ parameters: [Parameter]) throws {
        guard isDistributed else { return }
        let total = parameters.reduce(0) { $0 + $1.value.count }
        if gradientBuffer.count != total { gradientBuffer = [Float](repeating: 0, count: total) }   // kept between updates
        var offset = 0
        gradientBuffer.withUnsafeMutableBufferPointer { f in
            for p in parameters {
                let n = p.value.count
                if let g = p.grad {
                    let c = g.contiguous()
                    withExtendedLifetime(c) { (f.baseAddress! + offset).update(from: c.pointer, count: n) }
                } else {
                    (f.baseAddress! + offset).update(repeating: 0, count: n)
                }
                offset += n
            }
        }
        try sumInRankOrder(&gradientBuffer)
        let summed = gradientBuffer
        let scale = 1 / Float(size)
        offset = 0
        summed.withUnsafeBufferPointer { all in
            for p in parameters {
                let n = p.value.count
                if p.value.requiresGrad {
                    let g = Tensor(uninitialized: p.shape)
                    let dst = g.pointer, src = all.baseAddress! + offset
                    for i in 0..<n { dst[i] = src[i] * scale }
                    p.value.replaceGrad(with: g)
                }
                offset += n
            }
        }
    }

    /// Gives every rank rank `root`'s values of `parameters` (the same parameters in the same order).
    public func broadcastValues(_ parameters: [Parameter], from root: Int = 0) throws {
        guard isDistributed else { return }
        var flat = parameters.flatMap { $0.value.scalars }
        try broadcast(&flat, from: root)
        var offset = 0
        for p in parameters {
            let n = p.value.count
            p.assign(Tensor(Array(flat[offset..<(offset + n)]), shape: p.shape))
            offset += n
        }
    }

    /// The mean over ranks of `value`, added in rank order (the same on every rank).
    public func mean(_ value: Double) throws -> Double {
        guard isDistributed else { return value }
        return try allGather([value]).reduce(0) { $0 + $1[0] } / Double(size)
    }

    /// Whether `parameters` hold the same bits on every rank (compared by a 64-bit FNV-1a hash of their
    /// values, gathered from every rank).
    public func agree(on parameters: [Parameter]) throws -> Bool {
        guard isDistributed else { return true }
        let hashes = try allGather(Int64(bitPattern: bitHash(parameters)))
        return hashes.allSatisfy { $0 == hashes[0] }
    }
}

/// FNV-1a over the bit patterns of every value of `parameters`, in order.
public func bitHash(_ parameters: [Parameter]) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for p in parameters {
        for v in p.value.scalars {
            h = (h ^ UInt64(v.bitPattern)) &* 0x0000_0100_0000_01b3
        }
    }
    return h
}
