#!/usr/bin/env python3
"""TensorBoard event-file golden for RLHFTrainingTests (TensorBoardLoggingTests), from the `tensorboard` package.

    pip install tensorboard
    python3 scripts/goldens/tensorboard_goldens.py            # rewrites the golden in Tests/RLHFTrainingTests/LoggingTests.swift
    python3 scripts/goldens/tensorboard_goldens.py --check DIR

Default: builds, with tensorboard's own protobuf classes (event_pb2, summary_pb2), its text plugin's
`text_pb` and its `RecordWriter` (TFRecord framing, masked CRC-32C), the exact bytes of an event file holding
  1. Event{wall_time, file_version: "brain.Event:2"}          (what every writer puts first)
  2. a scalar  "train/loss"     = 0.6931471805599453 at step 0  (step 0 is omitted on the wire, proto3)
  3. a scalar  "eval/accuracy"  = 0.875 at step 3
  4. a text    "samples"        (a markdown table with non-ASCII text) at step 3
  5. Event{step: 4, session_log: {status: START}}              (what a run resumed after step 3 writes)
at fixed wall times, and stores them as hex with the inputs, as JSON in a raw string literal between the
`// BEGIN tensorboard_golden` and `// END tensorboard_golden` lines of Tests/RLHFTrainingTests/LoggingTests.swift
(a string literal rather than a .json file next to the tests: the test target declares no resources, and an
undeclared file there makes SwiftPM warn on every build).
TensorBoard's writer adds `source_metadata {writer: ...}` to the first event; ours does not (the field is
optional), so the golden's first event is built without it. The Swift test writes the same events with the same
wall times and compares bytes.

--check DIR: loads every run (directory of event files) under DIR with tensorboard's EventAccumulator (what
`tensorboard --load_fast=false --logdir DIR` uses) and prints the scalars (after any session-start purge), the
text-plugin tags and their strings. Exits non-zero when nothing loads. Point it at a directory written by our
TensorBoardWriter, e.g. RLHF_TB_CHECK_DIR=/tmp/tbcheck swift test --filter LoggingTests (the golden file, and a
TrainingLogger run resumed after step 2 in /tmp/tbcheck/logger).
"""
import io
import json
import os
import sys

from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.plugins.text import summary_v2 as text_summary
from tensorboard.summary.writer.record_writer import RecordWriter

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "Tests", "RLHFTrainingTests", "LoggingTests.swift")
BEGIN, END = "// BEGIN tensorboard_golden\n", "// END tensorboard_golden\n"

START_WALL_TIME = 1718000000.125
SCALARS = [
    {"tag": "train/loss", "value": 0.6931471805599453, "step": 0, "wall_time": 1718000001.5},
    {"tag": "eval/accuracy", "value": 0.875, "step": 3, "wall_time": 1718000002.25},
]
TEXT = {
    "tag": "samples",
    "markdown": "| prompt | completion | reward |\n|---|---|---|\n| Café? | Oui — très bien → | 1.25 |",
    "step": 3,
    "wall_time": 1718000003.0,
}
SESSION_START = {"step": 4, "wall_time": 1718000004.75}


def golden_events():
    yield event_pb2.Event(wall_time=START_WALL_TIME, file_version="brain.Event:2")
    for s in SCALARS:
        summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=s["tag"], simple_value=s["value"])])
        yield event_pb2.Event(wall_time=s["wall_time"], step=s["step"], summary=summary)
    yield event_pb2.Event(wall_time=TEXT["wall_time"], step=TEXT["step"],
                          summary=text_summary.text_pb(TEXT["tag"], TEXT["markdown"]))
    yield event_pb2.Event(wall_time=SESSION_START["wall_time"], step=SESSION_START["step"],
                          session_log=event_pb2.SessionLog(status=event_pb2.SessionLog.START))


def write_golden():
    buffer = io.BytesIO()
    writer = RecordWriter(buffer)
    records = []
    for event in golden_events():
        data = event.SerializeToString()
        records.append(data.hex())
        writer.write(data)
    golden = {
        "generator": "scripts/goldens/tensorboard_goldens.py",
        "tensorboard_version": __import__("tensorboard").__version__,
        "start_wall_time": START_WALL_TIME,
        "scalars": SCALARS,
        "text": TEXT,
        "session_start": SESSION_START,
        "records_hex": records,
        "file_hex": buffer.getvalue().hex(),
    }
    text = json.dumps(golden, indent=1, ensure_ascii=False)
    assert '"""#' not in text
    with open(OUT, encoding="utf-8") as f:
        swift = f.read()
    start, end = swift.index(BEGIN) + len(BEGIN), swift.index(END)
    swift = swift[:start] + 'private let tensorboardGoldenJSON = #"""\n' + text + '\n"""#\n' + swift[end:]
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(swift)
    print(f"wrote {OUT}: {len(records)} records, {len(buffer.getvalue())} bytes")


def check(directory):
    from tensorboard.backend.event_processing import event_accumulator
    from tensorboard.util import tensor_util

    # One run per directory holding event files, its files read in name order (as `tensorboard --logdir`
    # does), so that a resumed run's session-start purge applies across files.
    runs = sorted({d for d, _, names in os.walk(directory) if any("tfevents" in f for f in names)})
    if not runs:
        print(f"{directory}: no event files", file=sys.stderr)
        return 1
    ok = True
    for run in runs:
        acc = event_accumulator.EventAccumulator(run, size_guidance={event_accumulator.SCALARS: 0,
                                                                     event_accumulator.TENSORS: 0})
        acc.Reload()
        tags = acc.Tags()
        files = sorted(f for f in os.listdir(run) if "tfevents" in f)
        print(f"{run}: {files}: file_version={acc.file_version!r}")
        print(f"  scalars: {tags['scalars']}")
        for tag in tags["scalars"]:
            print(f"    {tag}: {[(e.step, e.wall_time, e.value) for e in acc.Scalars(tag)]}")
        try:
            text_tags = sorted(acc.PluginTagToContent("text").keys())
        except KeyError:  # no summary in the run names the text plugin
            text_tags = []
        print(f"  text plugin tags: {text_tags}")
        for tag in text_tags:
            for e in acc.Tensors(tag):
                value = tensor_util.make_ndarray(e.tensor_proto)
                print(f"    {tag} step {e.step}: {value.item().decode('utf-8')!r}")
        # The accumulator keeps the number after "brain.Event:" as a float.
        if acc.file_version != 2.0 or not tags["scalars"]:
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        sys.exit(check(sys.argv[2]))
    elif len(sys.argv) == 1:
        write_golden()
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
