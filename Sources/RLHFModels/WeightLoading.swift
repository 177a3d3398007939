// Loading parameters into a module tree by key: every parameter's checkpoint name is its key path (maybe
// under a prefix such as "bert."); presence and shape are checked for all tensors before any is read.

import RLHFFormats
import RLHFNN
import RLHFTensor

/// A set of named tensors: a safetensors checkpoint, a GGUF file mapped to HF names, or a dictionary.
public protocol WeightSource {
    /// Names the source in error messages (a path).
    var sourceDescription: String { get }
    /// Every tensor name.
    var tensorNames: [String] { get }
    /// The PyTorch-order shape of a tensor, without reading it.
    func shape(of name: String) -> [Int]?
    /// The tensor as Float32.
    func tensor(_ name: String) throws -> Tensor
    /// The same weights in the block format they are stored in, when the source keeps a matrix that way
    /// (a GGUF file's Q4_0/Q4_1/Q8_0 tensors); nil otherwise.
    func quantized(_ name: String) throws -> QuantizedMatrix?
}

extension WeightSource {
    /// nil: by default a source keeps no matrix in a block format.
    public func quantized(_ name: String) throws -> QuantizedMatrix? { nil }
}

extension SafetensorsCheckpoint: WeightSource {
    /// The checkpoint's folder.
    public var sourceDescription: String { directory }
    /// The shape recorded in the safetensors header, without reading the tensor.
    public func shape(of name: String) -> [Int]? { info(name)?.shape }
}

/// Tensors held in memory (tests, conversions).
public struct InMemoryWeights: WeightSource {
    /// Names the weights in error messages (default `<memory>`).
    public var sourceDescription: String
    /// The tensors by name.
    public var tensors: [String: Tensor]
    /// Weights from a dictionary; `description` names them in error messages.
    public init(_ tensors: [String: Tensor], description: String = "<memory>") {
        self.tensors = tensors
        self.sourceDescription = description
    }
    /// The names, sorted.
    public var tensorNames: [String] { tensors.keys.sorted() }
    /// The shape of `tensors[name]`; nil when absent.
    public func shape(of name: String) -> [Int]? { tensors[name]?.shape }
    /// `tensors[name]`.
    ///
    /// - Throws: `ModelError.weightsMismatch` naming `name` as missing when it is absent.
    public func tensor(_ name: String) throws -> Tensor {
        guard let t = tensors[name] else {
            throw ModelError.weightsMismatch(source: sourceDescription, missing: [name], unexpected: [], wrongShape: [])
        }
        return t
    }
}

extension Module {
    /// Copies every parameter from `source`, looking each key up under each of its `candidates` names in
    /// turn (e.g. `key` then `"bert." + key`), and keeps the source's quantised blocks of a matrix as
    /// `Parameter.quantized` (used once the parameter is frozen).
    ///
    /// - Parameters:
    ///   - ignoring: names in the source that may stay unused (buffers such as `position_ids`, heads of
    ///     other tasks).
    /// - Throws: `ModelError.weightsMismatch` naming every missing, unexpected and wrongly shaped tensor,
    ///   before any value is copied.
    public func loadParameters(
        from source: WeightSource, candidates: (String) -> [String] = { [$0] },
        ignoring: (String) -> Bool = { _ in false }
    ) throws {
        let available = Set(source.tensorNames)
        var plan: [(Parameter, String)] = []
        var missing: [String] = [], wrongShape: [String] = []
        var used = Set<String>()
        for (key, p) in namedParameters() {
            guard let name = candidates(key).first(where: { available.contains($0) }) else {
                missing.append(key); continue
            }
            used.insert(name)
            let shape = source.shape(of: name) ?? []
            if shape != p.shape { wrongShape.append("\(name) \(shape) (model expects \(p.shape))"); continue }
            plan.append((p, name))
        }
        let unexpected = available.subtracting(used).filter { !ignoring($0) }.sorted()
        if !missing.isEmpty || !unexpected.isEmpty || !wrongShape.isEmpty {
            throw ModelError.weightsMismatch(
                source: source.sourceDescription, missing: missing,
                unexpected: unexpected, wrongShape: wrongShape)
        }
        for (p, name) in plan {
            p.assign(try source.tensor(name))
            p.quantized = try source.quantized(name)
        }
    }
}

/// [B, T, NH·hs] → [B, NH, T, hs].
func splitHeads(_ x: Tensor, heads: Int) -> Tensor {
    let (b, t, c) = (x.shape[0], x.shape[1], x.shape[2])
    return x.reshaped([b, t, heads, c / heads]).permuted([0, 2, 1, 3])
}

/// [B, NH, T, hs] → [B, T, NH·hs].
func mergeHeads(_ x: Tensor) -> Tensor {
    let (b, nh, t, hs) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    return x.permuted([0, 2, 1, 3]).reshaped([b, t, nh * hs])
}
