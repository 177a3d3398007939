// Fuzzes the safetensors reader: the input is a model.safetensors file. Every tensor it accepts is read
// as Float32 (floats), as Float32 with integers allowed, and byte by byte, so that a range the header
// validation let through but that lies outside the file shows up under AddressSanitizer.

import FuzzSupport
import RLHFFormats

runFuzzer { bytes in
    let path = Scratch.write(bytes, to: "model.safetensors")
    rejecting {
        let file = try SafetensorsFile(path: path)
        blackHole(file.metadata)
        for name in file.tensorNames {
            rejecting { blackHole(try file.tensor(name)) }
            rejecting { blackHole(try file.tensor(name, allowingIntegers: true)) }
            rejecting { try file.withRawBytes(name) { raw in blackHole(raw.reduce(0 as UInt8, &+)) } }
        }
    }
}
