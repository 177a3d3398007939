// The key/value cache of the decoders (Llama, GPT-2): buffers that grow by doubling for decoding, and a
// differentiable shared-prefix mode for training on several continuations of one prompt.
//
// Shapes: B rows, NKV key/value heads, T new positions, hs head size.

import RLHFTensor

/// Keys and values of past tokens, per layer, in preallocated buffers [B, NKV, capacity, hs] that grow by
/// doubling; attention reads the filled part in place (no copy per step).
public final class KVCache: @unchecked Sendable {
    private var keyBuffers: [Tensor?]
    private var valueBuffers: [Tensor?]
    private var filled: [Int]
    private let initialCapacity: Int
    /// A shared prefix's keys and values per layer, kept as they are (graph nodes), and how they are used.
    private var prefixKeys: [Tensor?], prefixValues: [Tensor?]
    private var prefixRows: [Int]?
    private var recordsPrefix = false

    /// Number of cached positions.
    public var length: Int { filled.first ?? 0 }

    /// A cache for `layers` layers that first reserves `capacity` positions.
    public init(layers: Int, capacity: Int = 256) {
        keyBuffers = Array(repeating: nil, count: layers)
        valueBuffers = Array(repeating: nil, count: layers)
        filled = Array(repeating: 0, count: layers)
        initialCapacity = max(capacity, 1)
        prefixKeys = Array(repeating: nil, count: layers)
        prefixValues = Array(repeating: nil, count: layers)
    }

    /// Turns a new cache into one for a prefix shared by several continuations, through which gradients flow
    /// (the buffered cache detaches what it stores, for decoding). The next forward through it (the prefix
    /// rows) keeps each layer's keys and values as they are; after `continue(rows:)`, a forward of
    /// continuation rows attends to the keys and values of prefix row `rows[i]` before its own, so that a
    /// prompt shared by a chosen and a rejected answer runs once and its activations receive the gradients
    /// of both.
    public func startSharedPrefix() {
        precondition(length == 0, "KVCache.startSharedPrefix: the cache is in use")
        recordsPrefix = true
    }

    /// Switches a shared-prefix cache from its prefix pass to its continuations: batch row i of the next
    /// forward continues prefix row `rows[i]`.
    public func `continue`(rows: [Int]) {
        precondition(recordsPrefix && prefixKeys.allSatisfy { $0 != nil }, "KVCache.continue: no prefix pass was recorded")
        prefixRows = rows
    }

    /// Makes the buffered cache of D rows one of `rows.count` rows, row i a copy of row `rows[i]`: a prompt
    /// shared by several rows is prefilled once, then each row decodes on its own copy.
    public func selectRows(_ rows: [Int]) {
        precondition(!recordsPrefix, "KVCache.selectRows: a shared-prefix cache keeps its prefix as it is")
        for layer in keyBuffers.indices {
            keyBuffers[layer] = keyBuffers[layer]?.indexSelect(axis: 0, rows)
            valueBuffers[layer] = valueBuffers[layer]?.indexSelect(axis: 0, rows)
        }
    }

    /// Appends this step's k, v [B, NKV, T, hs] of `layer`; returns views of all keys and values so far.
    func append(layer: Int, k: Tensor, v: Tensor) -> (Tensor, Tensor) {
        if recordsPrefix {
            guard let rows = prefixRows, let pk = prefixKeys[layer], let pv = prefixValues[layer] else {
                prefixKeys[layer] = k; prefixValues[layer] = v; filled[layer] = k.shape[2]
                return (k, v)
            }
            return (Tensor.concat([pk.indexSelect(axis: 0, rows), k], axis: 2), Tensor.concat([pv.indexSelect(axis: 0, rows), v], axis: 2))
        }
        let (b, h, t, hs) = (k.shape[0], k.shape[1], k.shape[2], k.shape[3])
        let used = filled[layer], need = used + t
        func ensure(_ buffer: Tensor?) -> Tensor {
            if let buffer, buffer.shape[2] >= need { return buffer }
            let grown = Tensor(zeros: [b, h, max(need, max(initialCapacity, 2 * (buffer?.shape[2] ?? 0))), hs])
            if let buffer, used > 0 { grown.sliced(axis: 2, 0, used).assign(buffer.sliced(axis: 2, 0, used)) }
            return grown
        }
        let kb = ensure(keyBuffers[layer]), vb = ensure(valueBuffers[layer])
        keyBuffers[layer] = kb; valueBuffers[layer] = vb
        kb.sliced(axis: 2, used, need).assign(k.detached())
        vb.sliced(axis: 2, used, need).assign(v.detached())
        filled[layer] = need
        return (kb.sliced(axis: 2, 0, need), vb.sliced(axis: 2, 0, need))
    }
}
