import BrakeCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Exit statuses other tools rely on.
package enum ExitStatus {
    package static let allow: Int32 = 0
    package static let ask: Int32 = 1
    package static let deny: Int32 = 2
    package static let usage: Int32 = 64
    package static let badInput: Int32 = 65
    /// A person's credential was wrong or missing (sysexits' EX_NOPERM).
    package static let noPermission: Int32 = 77
}

/// An error that ends the command with a status and a message on stderr.
package struct Failure: Error, CustomStringConvertible {
    package var status: Int32
    package var message: String
    package var description: String { message }

    package init(status: Int32, message: String) {
        self.status = status
        self.message = message
    }
}

package enum FileHandleOut {
    package static func stdout(_ s: String) {
        var s = s
        s.withUTF8 { buf in writeAll(1, buf) }
    }

    package static func stderr(_ s: String) {
        var s = s
        s.withUTF8 { buf in writeAll(2, buf) }
    }

    package static func writeAll(_ fd: Int32, _ buf: UnsafeBufferPointer<UInt8>) {
        var offset = 0
        while offset < buf.count {
            let n = write(fd, buf.baseAddress! + offset, buf.count - offset)
            if n <= 0 { return }
            offset += n
        }
    }
}
