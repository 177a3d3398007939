// Embedding lookup and dropout: fused kernels with their own backward.

/// Rows of `weight` [V, C] picked by `ids`, shaped `idsShape + [C]` (as `nn.Embedding`).
/// The backward scatter-adds into a dense [V, C] gradient; the row `paddingIndex`, if given, gets none
/// (as `nn.Embedding(padding_idx:)`).
public func embedding(_ weight: Tensor, ids: [Int], idsShape: [Int]? = nil, paddingIndex: Int? = nil) -> Tensor {
    precondition(weight.rank == 2, "embedding: weight must be [V, C], got \(weight.shape)")
    let v = weight.shape[0], c = weight.shape[1]
    let shape = idsShape ?? [ids.count]
    precondition(Tensor.elementCount(shape) == ids.count, "embedding: ids shape \(shape) holds \(ids.count) ids")
    for id in ids { precondition(id >= 0 && id < v, "embedding: id \(id) out of range 0..<\(v)") }
    let w = weight.detached().contiguous()
    let out = Tensor(uninitialized: shape + [c])
    let pw = w.pointer, po = out.pointer
    Parallel.forEachChunk(ids.count, grain: max(1, 16384 / max(c, 1))) { r in
        for i in r { (po + i * c).update(from: pw + ids[i] * c, count: c) }
    }
    return Tensor.record("embedding", out, [weight]) { g in
        let gc = g.contiguous(), dw = Tensor(zeros: [v, c])
        let pg = gc.pointer, pd = dw.pointer
        for (i, id) in ids.enumerated() where id != paddingIndex {
            let d = pd + id * c, s = pg + i * c
            for j in 0..<c { d[j] += s[j] }
        }
        return [dw]
    }
}

/// Inverted dropout: zeroes each element with probability `p` and scales the rest by 1/(1 − p).
/// Identity when `training` is false or `p` is 0. The mask comes from `rng`, so a seed fixes it.
public func dropout(_ x: Tensor, p: Float, training: Bool = true, using rng: inout RandomGenerator) -> Tensor {
    precondition(p >= 0 && p < 1, "dropout: p must be in [0, 1), got \(p)")
    if !training || p == 0 { return x }
    let scale = 1 / (1 - p)
    let mask = Tensor(zeros: x.shape)
    let pm = mask.pointer
    for i in 0..<mask.count { pm[i] = rng.nextFloat() >= p ? scale : 0 }
    let y = Tensor.binary(x, mask, MulK.self)
    return Tensor.record("dropout", y, [x]) { g in [Tensor.binary(g, mask, MulK.self)] }
}
