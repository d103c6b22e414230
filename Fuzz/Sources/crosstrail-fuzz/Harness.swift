import CFuzzDriver
import CrossTrailFuzzing
import Foundation

/// The target comes from CROSSTRAIL_FUZZ_TARGET (one of FuzzTargets.names).
let target: String = {
    let name = ProcessInfo.processInfo.environment["CROSSTRAIL_FUZZ_TARGET"] ?? ""
    guard FuzzTargets.names.contains(name) else {
        FileHandle.standardError.write(Data("set CROSSTRAIL_FUZZ_TARGET to one of: \(FuzzTargets.names.joined(separator: ", "))\n".utf8))
        exit(2)
    }
    return name
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    FuzzTargets.run(target, bytes)
    return 0
}

/// SwiftPM links executables with `main` pointing at this symbol (built with -parse-as-library).
@_cdecl("crosstrail_fuzz_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var values = argv
    return LLVMFuzzerRunDriver(&count, &values) { data, size in fuzzOne(data, size) }
}
