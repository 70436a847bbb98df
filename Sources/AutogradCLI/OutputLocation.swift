import ArgumentParser
import Foundation

/// The one rule for where a command may write (`train --save` and `--plot`, `graph
/// --output`, `seed --graphs`), checked in `validate()` so that a bad path fails before
/// any work is done rather than after minutes of training: the folder that will hold the
/// output must already exist and be writable. Each failure is a one-line
/// ``ValidationError`` naming the option and the path.
enum OutputLocation {
    /// Throws unless a file can be written at `path`: the path is not empty and not a
    /// folder, its folder exists and is writable, and a file already there is writable.
    static func checkFile(_ path: String, option: String) throws {
        guard !path.isEmpty else { throw ValidationError("\(option) needs a file name, got ''") }
        let manager = FileManager.default
        if let isFolder = existingItemIsFolder(path) {
            guard !isFolder else { throw ValidationError("\(option): \(path) is a folder; give a file name") }
            guard manager.isWritableFile(atPath: path) else { throw ValidationError("\(option): cannot overwrite \(path) (permission denied)") }
        }
        try checkParent(of: path, option: option)
    }

    /// Throws unless files can be written in the folder `path`: it exists and is a
    /// writable folder, or it does not exist yet and the folder that will hold it exists
    /// and is writable (so it can be made, like `mkdir` without `-p`).
    static func checkFolder(_ path: String, option: String) throws {
        switch existingItemIsFolder(path) {
        case true?:
            guard FileManager.default.isWritableFile(atPath: path) else {
                throw ValidationError("\(option): cannot write in the folder \(path) (permission denied)")
            }
        case false?:
            throw ValidationError("\(option): \(path) is a file, not a folder")
        case nil:
            try checkParent(of: path, option: option)
        }
    }

    /// The folder a command writes in when given `path` for a folder: the current folder
    /// for an empty path.
    static func folder(_ path: String) -> String {
        path.isEmpty ? FileManager.default.currentDirectoryPath : path
    }

    /// Throws unless the folder holding `path` exists and is writable.
    private static func checkParent(of path: String, option: String) throws {
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
        switch existingItemIsFolder(parent) {
        case true?:
            guard FileManager.default.isWritableFile(atPath: parent) else {
                throw ValidationError("\(option): cannot write in the folder \(parent) (permission denied)")
            }
        case false?:
            throw ValidationError("\(option): \(parent) is a file, not a folder")
        case nil:
            throw ValidationError("\(option): the folder \(parent) does not exist")
        }
    }

    /// Whether something is at `path` and, if so, whether it is a folder.
    private static func existingItemIsFolder(_ path: String) -> Bool? {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return nil }
        return isFolder.boolValue
    }
}
