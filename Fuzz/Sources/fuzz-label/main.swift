// Fuzzes what `rlhf label` reads from outside: the input is a rater's POST body, decoded as a label request
// and as an undo request (the server's only inputs besides cookies and query strings), and a prompt file read
// by `rlhf label init` (`readLabelPrompts`). Each must decode or be rejected with a LabelError, never trap.

import FuzzSupport
import RLHFLabel

runFuzzer { bytes in
    let text = String(decoding: bytes, as: UTF8.self)
    rejecting { blackHole(try LabelRequest(json: text)) }
    rejecting { blackHole(try UndoRequest(json: text)) }
    let path = Scratch.write(bytes, to: "prompts.jsonl")
    rejecting { blackHole(try readLabelPrompts(path: path).count) }
}
