// A HF checkpoint folder's weights: `model.safetensors`, or `model.safetensors.index.json` and the shards it
// names (`{"metadata": {"total_size": …}, "weight_map": {"<tensor>": "model-00001-of-00002.safetensors"}}`).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RLHFTensor

/// The safetensors weights of a HF checkpoint folder, single-file or sharded.
public struct SafetensorsCheckpoint: Sendable {
    /// The folder.
    public let directory: String
    /// The opened files: one, or each shard once.
    public let files: [SafetensorsFile]
    /// Tensor name → index into `files`.
    private let location: [String: Int]

    /// Opens `directory/model.safetensors.index.json` and its shards when the index exists, else
    /// `directory/model.safetensors`. Every file is validated when opened.
    ///
    /// With an index, the index is authoritative: each tensor it lists must be in the shard it names; tensors
    /// in a shard that the index does not list are not exposed.
    /// - Throws: `FormatError` naming the index or shard and what is wrong (missing file, malformed index,
    ///   a shard path leaving the folder, a tensor missing from its shard, a corrupt shard).
    public init(directory: String) throws {
        self.directory = directory
        let indexPath = directory + "/model.safetensors.index.json"
        let singlePath = directory + "/model.safetensors"
        if access(indexPath, F_OK) == 0 {
            let weightMap = try SafetensorsCheckpoint.readWeightMap(try MappedFile(path: indexPath))
            var files: [SafetensorsFile] = []
            var fileIndex: [String: Int] = [:]
            var location: [String: Int] = [:]
            for (name, shard) in weightMap {
                let k: Int
                if let existing = fileIndex[shard] {
                    k = existing
                } else {
                    k = files.count
                    files.append(try SafetensorsFile(path: directory + "/" + shard))
                    fileIndex[shard] = k
                }
                guard files[k].info(name) != nil else {
                    throw FormatError.invalidValue(
                        path: indexPath, key: "weight_map." + name,
                        reason: "tensor is not in shard \(shard)")
                }
                location[name] = k
            }
            self.files = files
            self.location = location
        } else {
            let file = try SafetensorsFile(path: singlePath)
            files = [file]
            var location: [String: Int] = [:]
            for name in file.tensorNames { location[name] = 0 }
            self.location = location
        }
    }

    /// All tensor names, sorted.
    public var tensorNames: [String] { location.keys.sorted() }

    /// The dtype, shape and byte range of a tensor within its file; `nil` when there is none of that name.
    public func info(_ name: String) -> SafetensorsTensorInfo? {
        location[name].flatMap { files[$0].info(name) }
    }

    /// The path of the file that holds `name`.
    public func filePath(of name: String) -> String? {
        location[name].map { files[$0].path }
    }

    /// A floating-point tensor as a new Float32 tensor; integer dtypes are refused (see `SafetensorsFile.tensor`).
    public func tensor(_ name: String) throws -> Tensor {
        try tensor(name, allowingIntegers: false)
    }

    /// The tensor as a new Float32 tensor, integer dtypes included when `allowingIntegers` (see
    /// `SafetensorsFile.tensor(_:allowingIntegers:)`).
    public func tensor(_ name: String, allowingIntegers: Bool) throws -> Tensor {
        guard let k = location[name] else { throw FormatError.tensorNotFound(path: directory, name: name) }
        return try files[k].tensor(name, allowingIntegers: allowingIntegers)
    }

    /// The `weight_map` of an index file, in file order, with every shard name checked to stay in the folder.
    private static func readWeightMap(_ file: MappedFile) throws -> [(String, String)] {
        let path = file.path
        let bytes = UnsafeRawBufferPointer(start: file.base, count: file.count)
        let json: JSONValue
        do { json = try JSONParser.parse(bytes) } catch {
            let (line, column) = lineAndColumn(of: error.offset, in: bytes)
            throw FormatError.invalidJSON(path: path, offset: error.offset, line: line, column: column, reason: error.reason)
        }
        guard case .object(let top) = json else {
            throw FormatError.wrongType(path: path, key: "(top level)", expected: "an object", found: json.kindDescription)
        }
        guard let mapEntry = top.last(where: { $0.key == "weight_map" }) else {
            throw FormatError.missingKey(path: path, key: "weight_map")
        }
        guard case .object(let entries) = mapEntry.value else {
            throw FormatError.wrongType(path: path, key: "weight_map", expected: "an object", found: mapEntry.value.kindDescription)
        }
        var seen = Set<String>()
        var result: [(String, String)] = []
        for e in entries {
            guard case .string(let shard) = e.value else {
                throw FormatError.wrongType(path: path, key: "weight_map." + e.key, expected: "a string", found: e.value.kindDescription)
            }
            guard seen.insert(e.key).inserted else {
                throw FormatError.invalidValue(path: path, key: "weight_map." + e.key, reason: "listed twice")
            }
            let parts = shard.split(separator: "/", omittingEmptySubsequences: false)
            guard !shard.isEmpty, !shard.hasPrefix("/"), !parts.contains(".."), !parts.contains("") else {
                throw FormatError.invalidValue(
                    path: path, key: "weight_map." + e.key,
                    reason: "shard path '\(shard)' must be a relative path inside the folder")
            }
            result.append((e.key, shard))
        }
        return result
    }
}
