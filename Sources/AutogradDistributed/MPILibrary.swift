import CAutogradMPI
import Foundation

/// Finding and loading the MPI library at run time, so the package builds and runs in
/// one process without MPI installed.
enum MPILibrary {
    /// The environment variable naming the library to load instead of the defaults (a
    /// file name for the dynamic loader's search, or a path).
    static let libraryVariable = "AUTOGRAD_MPI_LIBRARY"

    /// Open MPI's names.
    static var openMPINames: [String] {
        #if canImport(Darwin)
        return ["libmpi.40.dylib"]
        #else
        return ["libmpi.so.40"]
        #endif
    }

    /// MPICH's names (also Intel MPI's and MVAPICH's; Debian and Ubuntu call it libmpich).
    static var mpichNames: [String] {
        #if canImport(Darwin)
        return ["libmpi.12.dylib", "libmpich.12.dylib"]
        #else
        return ["libmpi.so.12", "libmpich.so.12"]
        #endif
    }

    /// The unversioned names development packages install.
    static var unversionedNames: [String] {
        #if canImport(Darwin)
        return ["libmpi.dylib", "/opt/homebrew/lib/libmpi.dylib", "/usr/local/lib/libmpi.dylib"]
        #else
        return ["libmpi.so"]
        #endif
    }

    /// The names tried in order: `explicit` when given; else the environment's
    /// ``libraryVariable``; else Open MPI's soname, MPICH's, then the unversioned name,
    /// with MPICH's first when a PMI launcher (MPICH's Hydra, Intel MPI) started the
    /// process, so both can be installed side by side.
    static func candidates(explicit: String?, environment: [String: String]) -> [String] {
        if let explicit { return [explicit] }
        if let named = environment[libraryVariable], !named.isEmpty { return [named] }
        if LaunchEnvironment.detect(environment)?.launcher == "PMI" { return mpichNames + openMPINames + unversionedNames }
        return openMPINames + mpichNames + unversionedNames
    }

    /// The name of the library loaded in this process, once one is.
    nonisolated(unsafe) private static var loadedName: String?
    /// Serialises loading.
    private static let lock = NSLock()

    /// Loads the first of `names` that opens, unless one is already loaded.
    /// - Returns: the name that was loaded.
    /// - Throws: ``DistributedError`` naming what to install when none opens, or what is
    ///   missing when a library opens but lacks an MPI 3 function.
    static func load(_ names: [String]) throws(DistributedError) -> String {
        lock.lock()
        defer { lock.unlock() }
        if let loadedName {
            guard names.contains(loadedName) else {
                throw DistributedError("MPI is already loaded from \(loadedName) in this process; cannot load \(names.joined(separator: " or ")) as well")
            }
            return loadedName
        }
        var failures: [String] = []
        for name in names {
            var message = [CChar](repeating: 0, count: 1024)
            let status = ag_mpi_load(name, &message, message.count)
            let reason = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            switch status {
            case 0:
                loadedName = name
                return name
            case 1:
                failures.append(reason)
            default:
                throw DistributedError("the MPI library \(name) cannot be used: \(reason)")
            }
        }
        let tried = names.count == 1 ? names[0] : names.dropLast().joined(separator: ", ") + " or " + (names.last ?? "")
        throw DistributedError("MPI is not available: could not load \(tried) (\(failures.first ?? "not found")); \(DistributedError.installAdvice)")
    }

    /// `Open MPI` or `MPICH` (the ABI of the loaded library).
    static var flavourName: String {
        ag_mpi_loaded_flavour() == AG_MPI_OPEN_MPI ? "Open MPI" : "MPICH"
    }

    /// The start of MPI_Get_library_version's text, up to its first comma or line end,
    /// such as `Open MPI v4.1.4` or `MPICH Version: 4.0.2`.
    static var versionLine: String {
        var buffer = [CChar](repeating: 0, count: 512)
        guard ag_mpi_library_version(&buffer, Int32(buffer.count)) == 0 else { return flavourName }
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let first = text.prefix { $0 != "," && !$0.isNewline }.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return first.isEmpty ? flavourName : first
    }

    /// MPI's text for an error code.
    static func errorText(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: 1024)
        guard ag_mpi_error_string(code, &buffer, Int32(buffer.count)) == 0 else { return "MPI error \(code)" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
