import Foundation
import Testing

/// `fmdb learn`, `recognize`, `calibrate` and `patterns` on generated audio, and every kind of bad
/// audio the issue names: a clear error, never a crash, and nothing learned from a bad batch.
@Suite struct SpeechCommandTests {
    let temp: TemporaryDirectory
    init() throws { temp = try TemporaryDirectory() }

    /// A mono 16-bit WAV of `samples` at `rate`.
    func wav(_ name: String, samples: [Float], rate: Int = 16_000, bitsPerSample: Int = 16, format: UInt16 = 1) throws -> String {
        var data = Data()
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        let bytesPerSample = bitsPerSample / 8
        let payload = samples.count * bytesPerSample
        data.append(contentsOf: Array("RIFF".utf8)); append(UInt32(36 + payload))
        data.append(contentsOf: Array("WAVEfmt ".utf8)); append(UInt32(16)); append(format); append(UInt16(1))
        append(UInt32(rate)); append(UInt32(rate * bytesPerSample)); append(UInt16(bytesPerSample)); append(UInt16(bitsPerSample))
        data.append(contentsOf: Array("data".utf8)); append(UInt32(payload))
        for sample in samples {
            if bitsPerSample == 16 { append(Int16(max(-1, min(1, sample)) * 32_000)) } else { data.append(UInt8(128)) }
        }
        let path = temp.path(name)
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Half a second of a "word": a tone at `frequency` with two harmonics, slightly varied by `seed`.
    func word(frequency: Double, seed: Int) -> [Float] {
        let rate = 16_000.0, shift = 1 + Double(seed % 5) * 0.01
        return (0..<8_000).map { index in
            let t = Double(index) / rate
            let envelope = sin(Double.pi * Double(index) / 8_000)
            let f = frequency * shift
            return Float(envelope * (0.5 * sin(2 * .pi * f * t) + 0.25 * sin(4 * .pi * f * t) + 0.1 * sin(6 * .pi * f * t)))
        }
    }

    @Test func wordsAreLearnedAndRecognized() throws {
        let store = temp.path("s")
        let low = try (0..<4).map { try wav("low\($0).wav", samples: word(frequency: 220, seed: $0)) }
        let high = try (0..<4).map { try wav("high\($0).wav", samples: word(frequency: 880, seed: $0)) }
        #expect(try FMDBRunner.run(["learn", store] + low + ["--label", "low"]).status == 0)
        #expect(try FMDBRunner.run(["learn", store] + high + ["--label", "high"]).status == 0)
        let patterns = try FMDBRunner.run(["patterns", store])
        #expect(patterns.stdout.contains("8 patterns of 2 labels from 8 examples"))
        // each pattern keeps its clip's frames: about 50 frames of 39 values, a byte each
        let kept = try #require(patterns.lines.first { $0.hasPrefix("kept: 8 vectors of 195 values") }, "\(patterns.stdout)")
        let frameBytes = Int(kept.split(separator: ",")[1].split(separator: " ")[0]) ?? 0
        #expect(frameBytes > 8 * 39 * 20 && frameBytes < 8 * 39 * 60 + 8 * 200, "\(kept)")

        let queries = [try wav("q-low.wav", samples: word(frequency: 225, seed: 7)), try wav("q-high.wav", samples: word(frequency: 870, seed: 8))]
        let result = try FMDBRunner.run(["recognize", store] + queries + ["--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.lines.map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(lines.count == 2)
        #expect(lines[0]?["label"] as? String == "low")
        #expect(lines[1]?["label"] as? String == "high")
        #expect((lines[0]?["confidence"] as? Double ?? -1) >= 0)
        #expect(result.stderr.contains("recognition p50"))
    }

    @Test func nothingLearnedMeansNothingRecognized() throws {
        let store = temp.path("s")
        let one = try wav("one.wav", samples: word(frequency: 300, seed: 1))
        try FMDBRunner.run(["learn", store, one, "--label", "x"])
        try FMDBRunner.run(["rm", store, String(try FMDBRunner.run(["ls", store]).lines.first?.split(separator: "\t").first ?? "0")])
        let line = try FMDBRunner.run(["recognize", store, one, "--json"]).json()
        #expect(line["label"] is NSNull)
    }

    @Test func badAudioGetsAClearErrorAndALearnBatchWithItKeepsNothing() throws {
        let store = temp.path("s")
        let good = try wav("good.wav", samples: word(frequency: 300, seed: 1))
        try FMDBRunner.run(["learn", store, good, "--label", "x"])

        let truncatedPath = temp.path("truncated.wav")
        try Data(try Data(contentsOf: URL(fileURLWithPath: good)).prefix(30)).write(to: URL(fileURLWithPath: truncatedPath))
        let notAudio = temp.path("text.wav")
        try Data("hello".utf8).write(to: URL(fileURLWithPath: notAudio))
        let eightBit = try wav("eight.wav", samples: word(frequency: 300, seed: 2), bitsPerSample: 8)
        let silence = try wav("silence.wav", samples: [Float](repeating: 0, count: 16_000))
        let tooShort = try wav("short.wav", samples: Array(word(frequency: 300, seed: 3).prefix(100)))
        let cases: [(String, String)] = [
            (truncatedPath, "ends inside its header"), (notAudio, "RIFF"), (eightBit, "8-bit"), (silence, "silent"), (tooShort, "short"),
        ]
        for (path, expected) in cases {
            let recognized = try FMDBRunner.run(["recognize", store, path, "--json"])
            #expect(recognized.status == 1, "\(path)")
            let line = try recognized.json()
            #expect(line["label"] is NSNull)
            let message = (line["error"] as? String ?? "").lowercased()
            #expect(message.contains(expected.lowercased()), "\(path): \(message)")
            // learning a batch with the bad file in it fails, names the file, and learns nothing
            let learned = try FMDBRunner.run(["learn", store, good, path, "--label", "y"])
            #expect(learned.status == 1)
            #expect(learned.stderr.contains(URL(fileURLWithPath: path).lastPathComponent))
        }
        #expect(try FMDBRunner.run(["patterns", store]).stdout.contains("1 patterns of 1 labels from 1 examples"))
    }

    /// A store taught three "words" of each of two labels, and a list of one held-out file of each.
    func taughtStoreWithHeldOutList() throws -> (store: String, list: String, heldOut: [(String, String)]) {
        let store = temp.path("s")
        let low = try (0..<3).map { try wav("low\($0).wav", samples: word(frequency: 220, seed: $0)) }
        let high = try (0..<3).map { try wav("high\($0).wav", samples: word(frequency: 880, seed: $0)) }
        try FMDBRunner.run(["learn", store] + low + ["--label", "low"])
        try FMDBRunner.run(["learn", store] + high + ["--label", "high"])
        let list = temp.path("held-out.tsv")
        let heldOut = [(try wav("c-low.wav", samples: word(frequency: 230, seed: 4)), "low"), (try wav("c-high.wav", samples: word(frequency: 860, seed: 4)), "high")]
        try heldOut.map { "\($0.0)\t\($0.1)" }.joined(separator: "\n").write(toFile: list, atomically: true, encoding: .utf8)
        return (store, list, heldOut)
    }

    @Test func calibrationPrintsAReliabilityTable() throws {
        let (store, list, _) = try taughtStoreWithHeldOutList()
        let result = try FMDBRunner.run(["calibrate", store, "--examples", list])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("stated confidence"))
    }

    @Test func theReportStatesTheCalibrationErrorAndChangesNothing() throws {
        let (store, list, heldOut) = try taughtStoreWithHeldOutList()
        let before = try Data(contentsOf: URL(fileURLWithPath: store + "/data.mdb"))
        let report = try FMDBRunner.run(["calibrate", store, "--examples", list, "--report", "--json"])
        #expect(report.status == 0, "\(report.stderr)")
        let json = try report.json()
        #expect(json["count"] as? Int == 2)
        #expect(json["correct"] as? Int == 2)
        let error = try #require(json["expected_calibration_error"] as? Double)
        #expect(error >= 0 && error <= 1)
        #expect(try Data(contentsOf: URL(fileURLWithPath: store + "/data.mdb")) == before)
        #expect(try FMDBRunner.run(["calibrate", store, "--examples", list, "--json"]).status != 0)

        // the store was taught with the speech extractor, which every command finds by itself
        let unknown = try FMDBRunner.run(["recognize", store, heldOut[0].0, "--json", "--min-confidence", "1"]).json()
        #expect(unknown["label"] is NSNull)
        let known = try FMDBRunner.run(["recognize", store, heldOut[0].0, "--json"]).json()
        #expect(known["label"] as? String == "low")
        #expect(try FMDBRunner.run(["recognize", store, heldOut[0].0, "--min-confidence", "2"]).status != 0)
        let other = try FMDBRunner.run(["recognize", store, heldOut[0].0, "--extractor", "mfcc"])
        #expect(other.status != 0)
        #expect(other.stderr.contains("195-value vectors"), "\(other.stderr)")
    }

    @Test func aStoreTaughtWithTheOlderExtractorKeepsIt() throws {
        let store = temp.path("s")
        let low = try (0..<2).map { try wav("low\($0).wav", samples: word(frequency: 220, seed: $0)) }
        let high = try (0..<2).map { try wav("high\($0).wav", samples: word(frequency: 880, seed: $0)) }
        let list = temp.path("examples.tsv")
        try (low.map { "\($0)\tlow" } + high.map { "\($0)\thigh" }).joined(separator: "\n").write(toFile: list, atomically: true, encoding: .utf8)
        #expect(try FMDBRunner.run(["learn", store, "--examples", list, "--extractor", "mfcc"]).status == 0)
        // a later call without --extractor learns with the store's own (a speech vector would not fit)
        let more = try wav("high2.wav", samples: word(frequency: 885, seed: 2))
        let learned = try FMDBRunner.run(["learn", store, more, "--label", "high"])
        #expect(learned.status == 0, "\(learned.stderr)")
        let known = try FMDBRunner.run(["recognize", store, try wav("q.wav", samples: word(frequency: 870, seed: 3)), "--json"]).json()
        #expect(known["label"] as? String == "high")
        #expect(try FMDBRunner.run(["info", store]).stdout.contains("78"))
    }

    @Test func augmentationLearnsVariantsAndBadValuesChangeNothing() throws {
        let store = temp.path("s")
        let low = try wav("low.wav", samples: word(frequency: 220, seed: 1))
        let learned = try FMDBRunner.run([
            "learn", store, low, "--label", "low", "--augment-speeds", "0.9,1.1", "--augment-pitch", "-2,2", "--augment-noise", "20", "--json",
        ])
        #expect(learned.status == 0, "\(learned.stderr)")
        #expect(try learned.json()["examples"] as? Int == 6)
        let before = try Data(contentsOf: URL(fileURLWithPath: store + "/data.mdb"))
        for bad in [["--augment-speeds", "3"], ["--augment-speeds", "fast"], ["--augment-noise", "100"], ["--augment-pitch", "-20"]] {
            let refused = try FMDBRunner.run(["learn", store, low, "--label", "low"] + bad)
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("--augment") || refused.stderr.contains("must be"), "\(refused.stderr)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: store + "/data.mdb")) == before)
    }
}
