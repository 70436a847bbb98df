import CAutogradKernels

/// Runs `body` while holding the lock that guards `object`, so that threads which update
/// the same object (a leaf's accumulated gradient) take turns.
///
/// The locks are a fixed set of stripes picked by the object's address: objects carry no
/// lock of their own. `body` must not take the lock of another object (two stripes taken
/// in opposite orders could deadlock) nor of the same one (it is not reentrant).
@inline(__always)
public func withLock<T>(on object: AnyObject, _ body: () throws -> T) rethrows -> T {
    let address = UnsafeRawPointer(Unmanaged.passUnretained(object).toOpaque())
    ag_object_lock(address)
    defer { ag_object_unlock(address) }
    return try body()
}
