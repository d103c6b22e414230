import CrossTrailIngest
import Foundation
import Testing

/// Outputs never land on, inside or around inputs, however the paths are spelled.
@Suite struct PathOverlapTests {
    /// dir/logs/a.json, dir/logs/sub/, dir/logs2/, dir/link → logs, dir/alias.json → logs/a.json.
    static func tree() throws -> TemporaryFiles {
        let t = try TemporaryFiles()
        let fm = FileManager.default
        try fm.createDirectory(at: t.dir.appendingPathComponent("logs/sub"), withIntermediateDirectories: true)
        try fm.createDirectory(at: t.dir.appendingPathComponent("logs2"), withIntermediateDirectories: true)
        _ = try t.write("logs/a.json", "{}")
        try fm.createSymbolicLink(atPath: t.dir.appendingPathComponent("link").path, withDestinationPath: "logs")
        try fm.createSymbolicLink(
            atPath: t.dir.appendingPathComponent("alias.json").path,
            withDestinationPath: t.dir.appendingPathComponent("logs/a.json").path)
        return t
    }

    static func relation(_ output: String, _ inputs: [String?]) -> PathOverlap.Relation? {
        do { try PathOverlap.check("-o", output, inputs: inputs); return nil } catch { return error.relation }
    }

    @Test func resolvesSymlinksDotsAndPathsThatDoNotExistYet() throws {
        let t = try Self.tree()
        let root = PathOverlap.resolve(t.dir.path)
        #expect(PathOverlap.resolve(t.dir.path + "/link/a.json") == root + "/logs/a.json")
        #expect(PathOverlap.resolve(t.dir.path + "/logs/sub/../a.json") == root + "/logs/a.json")
        #expect(PathOverlap.resolve(t.dir.path + "/link/new/../../logs/x.json") == root + "/logs/x.json")
        #expect(PathOverlap.resolve(t.dir.path + "/link/missing/deeper/") == root + "/logs/missing/deeper")
        #expect(PathOverlap.resolve(t.dir.path + "/./logs//sub/.") == root + "/logs/sub")
        #expect(PathOverlap.resolve("/") == "/")
        // A dangling symlink resolves to where writing it would create the file.
        try FileManager.default.createSymbolicLink(
            atPath: t.dir.appendingPathComponent("dangling").path, withDestinationPath: "logs/new.json")
        #expect(PathOverlap.resolve(t.dir.path + "/dangling") == root + "/logs/new.json")
        // Relative paths are taken from the working directory.
        #expect(
            PathOverlap.resolve("x.json") == PathOverlap.resolve(FileManager.default.currentDirectoryPath) + "/x.json")
    }

    @Test func refusesTheSameFileInsideAndContaining() throws {
        let t = try Self.tree()
        let d = t.dir.path
        #expect(Self.relation(d + "/logs/a.json", [d + "/logs/a.json"]) == .same)
        #expect(Self.relation(d + "/alias.json", [d + "/logs/a.json"]) == .same)
        #expect(Self.relation(d + "/link/a.json", [d + "/logs/a.json"]) == .same)
        #expect(Self.relation(d + "/logs/sub/../a.json", [d + "/logs/a.json"]) == .same)
        #expect(Self.relation(d + "/logs", [d + "/logs"]) == .same)
        #expect(Self.relation(d + "/logs/x.json", [d + "/logs"]) == .outputInsideInput)
        #expect(Self.relation(d + "/link/sub/new/pack", [d + "/logs"]) == .outputInsideInput)
        #expect(Self.relation(d, [d + "/logs"]) == .inputInsideOutput)
        #expect(Self.relation(d + "/logs", [d + "/logs/a.json"]) == .inputInsideOutput)
        #expect(Self.relation(d + "/link", [d + "/logs/sub"]) == .inputInsideOutput)
        // A dangling link that would create a file inside an input folder.
        try FileManager.default.createSymbolicLink(
            atPath: t.dir.appendingPathComponent("dangling").path, withDestinationPath: "logs/new.json")
        #expect(Self.relation(d + "/dangling", [d + "/logs"]) == .outputInsideInput)
        // A hard link to a file inside an input folder is that file.
        #expect(link(d + "/logs/a.json", d + "/hard.json") == 0)
        #expect(Self.relation(d + "/hard.json", [d + "/logs"]) == .same)
        #expect(Self.relation(d + "/hard.json", [d + "/logs/a.json"]) == .same)
    }

    @Test func leavesUnrelatedPathsAlone() throws {
        let t = try Self.tree()
        let d = t.dir.path
        #expect(Self.relation(d + "/logs2/x.json", [d + "/logs"]) == nil, "a sibling sharing a prefix is not inside")
        #expect(Self.relation(d + "/logs.json", [d + "/logs"]) == nil)
        #expect(Self.relation(d + "/out/pack", [d + "/logs", d + "/logs/a.json"]) == nil)
        #expect(Self.relation("-", [d + "/logs"]) == nil)
        #expect(Self.relation(d + "/x.json", ["-", nil]) == nil)
        #expect((try? PathOverlap.check("-o", nil, inputs: [d])) != nil)
    }

    @Test func theMessageNamesBothPaths() throws {
        let t = try Self.tree()
        let d = t.dir.path
        do {
            try PathOverlap.check("--out", d + "/logs/pack", inputs: [d + "/logs2", d + "/logs"])
            Issue.record("not refused")
        } catch {
            #expect(error.input == d + "/logs")
            #expect(error.description.hasPrefix("--out '\(d)/logs/pack' is inside the input '\(d)/logs'"))
        }
    }
}
