/// The number of elements of a shape read from a file, or nil when a size is negative or
/// the product (times `bytesPerElement`) does not fit in an `Int`, so damaged headers are
/// reported instead of trapping on overflow.
func byteCount(ofUntrustedShape shape: [Int], bytesPerElement: Int = 1) -> Int? {
    var total = bytesPerElement
    for size in shape {
        guard size >= 0 else { return nil }
        let (product, overflow) = total.multipliedReportingOverflow(by: size)
        if overflow { return nil }
        total = product
    }
    return total
}
