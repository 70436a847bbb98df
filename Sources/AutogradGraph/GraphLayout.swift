/// Positions for drawing a ``ComputationGraph`` top to bottom, in layers (Sugiyama's
/// method, kept small): each node goes one layer above the highest node it feeds, long
/// edges pass through invisible points in the layers they cross, layers are ordered by
/// repeated barycenter sweeps keeping the order with fewest crossings, and each node is
/// then placed as close as spacing allows to the mean position of its neighbours.
struct GraphLayout {
    /// A point in drawing coordinates (y grows downwards).
    struct Point: Equatable {
        var x: Double
        var y: Double
    }

    /// Horizontal space between neighbouring nodes in a layer.
    static let nodeSpacing = 28.0
    /// Width reserved for an edge passing through a layer.
    static let passingWidth = 14.0
    /// Space around the drawing.
    static let margin = 24.0

    /// The centre of each node.
    private(set) var centers: [String: Point] = [:]
    /// The points each edge passes through, from its source's bottom to its target's top,
    /// by the edge's index in the graph.
    private(set) var routes: [[Point]] = []
    /// Where to put each edge's label, by the edge's index.
    private(set) var labelPoints: [Point] = []
    /// The size of the whole drawing.
    private(set) var width = 0.0
    /// The height of the whole drawing.
    private(set) var height = 0.0

    /// Lays out `graph` with nodes of the given sizes; `labelHeights` gives the height of
    /// each edge's label (by edge index) so layers leave room for them.
    init(graph: ComputationGraph, sizes: [String: (width: Double, height: Double)], labelHeights: [Double]) {
        let order = graph.topologicalOrder()
        var layer: [String: Int] = [:]
        var successors: [String: [String]] = [:]
        for edge in graph.edges { successors[edge.from, default: []].append(edge.to) }
        for id in order.reversed() {
            layer[id] = (successors[id, default: []].compactMap { layer[$0] }.max() ?? -1) + 1
        }
        let top = layer.values.max() ?? 0
        var rank: [String: Int] = [:]
        for (id, value) in layer { rank[id] = top - value }

        // Vertices: real nodes plus one invisible point per layer an edge crosses.
        var vertexRank = rank
        var vertexWidth: [String: Double] = [:]
        var chains: [[String]] = []
        var upper: [String: [String]] = [:]
        var lower: [String: [String]] = [:]
        for id in rank.keys { vertexWidth[id] = sizes[id]?.width ?? 40 }
        for (index, edge) in graph.edges.enumerated() {
            var chain = [edge.from]
            if let start = rank[edge.from], let end = rank[edge.to], end - start > 1 {
                for step in 1..<(end - start) {
                    let id = "#\(index).\(step)"
                    vertexRank[id] = start + step
                    vertexWidth[id] = GraphLayout.passingWidth
                    chain.append(id)
                }
            }
            chain.append(edge.to)
            for (a, b) in zip(chain, chain.dropFirst()) {
                lower[a, default: []].append(b)
                upper[b, default: []].append(a)
            }
            chains.append(chain)
        }

        let discovery = Dictionary(uniqueKeysWithValues: graph.nodes.enumerated().map { ($1.id, Double($0)) })
        func initialKey(_ id: String) -> Double {
            if let key = discovery[id] { return key }
            let edgeIndex = Int(id.dropFirst().split(separator: ".")[0])!
            return (discovery[graph.edges[edgeIndex].from] ?? 0) + 0.5
        }
        var layers = [[String]](repeating: [], count: top + 1)
        for (id, value) in vertexRank { layers[value].append(id) }
        for index in layers.indices { layers[index].sort { (initialKey($0), $0) < (initialKey($1), $1) } }
        layers = GraphLayout.ordered(layers, upper: upper, lower: lower)

        // Vertical positions: each layer as tall as its tallest node, with room above it
        // for the labels of the edges that end there.
        var labelRoom = [Double](repeating: 0, count: top + 1)
        for (index, edge) in graph.edges.enumerated() {
            if let end = rank[edge.to], index < labelHeights.count { labelRoom[end] = max(labelRoom[end], labelHeights[index]) }
        }
        var layerY = [Double](repeating: 0, count: top + 1)
        var y = GraphLayout.margin
        for index in layers.indices {
            if index > 0 { y += 34 + labelRoom[index] }
            let tallest = layers[index].compactMap { sizes[$0]?.height }.max() ?? 0
            layerY[index] = y + tallest / 2
            y += tallest
        }
        height = y + GraphLayout.margin

        // Horizontal positions.
        var x = GraphLayout.placed(layers, widths: vertexWidth, upper: upper, lower: lower)
        let left = x.map { $0.value - vertexWidth[$0.key]! / 2 }.min() ?? 0
        let right = x.map { $0.value + vertexWidth[$0.key]! / 2 }.max() ?? 0
        for key in x.keys { x[key]! += GraphLayout.margin - left }
        width = right - left + 2 * GraphLayout.margin

        for id in rank.keys { centers[id] = Point(x: x[id]!, y: layerY[rank[id]!]) }
        for chain in chains {
            var points: [Point] = []
            for (position, id) in chain.enumerated() {
                let center = Point(x: x[id]!, y: layerY[vertexRank[id]!])
                let halfHeight = (sizes[id]?.height ?? 0) / 2
                if position == 0 { points.append(Point(x: center.x, y: center.y + halfHeight)) }
                else if position == chain.count - 1 { points.append(Point(x: center.x, y: center.y - halfHeight)) }
                else { points.append(center) }
            }
            routes.append(points)
            let (a, b) = (points[points.count - 2], points[points.count - 1])
            labelPoints.append(Point(x: (a.x + b.x) / 2, y: (a.y + b.y) / 2))
        }
    }

    /// The layers reordered by barycenter sweeps, keeping the order with fewest crossings.
    private static func ordered(_ start: [[String]], upper: [String: [String]], lower: [String: [String]]) -> [[String]] {
        var layers = start
        var best = layers
        var fewest = crossings(layers, lower: lower)
        for sweep in 0..<12 where fewest > 0 {
            let downwards = sweep % 2 == 0
            let indices = downwards ? Array(layers.indices.dropFirst()) : Array(layers.indices.dropLast().reversed())
            for index in indices {
                let neighbours = downwards ? upper : lower
                let reference = layers[downwards ? index - 1 : index + 1]
                let position = Dictionary(uniqueKeysWithValues: reference.enumerated().map { ($1, Double($0)) })
                let keys = layers[index].enumerated().map { current, id -> (Double, Int, String) in
                    let linked = neighbours[id, default: []].compactMap { position[$0] }
                    let key = linked.isEmpty ? Double(current) : linked.reduce(0, +) / Double(linked.count)
                    return (key, current, id)
                }
                layers[index] = keys.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map(\.2)
            }
            let count = crossings(layers, lower: lower)
            if count < fewest {
                fewest = count
                best = layers
            }
        }
        return best
    }

    /// How many pairs of edges cross between neighbouring layers.
    private static func crossings(_ layers: [[String]], lower: [String: [String]]) -> Int {
        var total = 0
        for index in layers.indices.dropLast() {
            let below = Dictionary(uniqueKeysWithValues: layers[index + 1].enumerated().map { ($1, $0) })
            var segments: [(Int, Int)] = []
            for (position, id) in layers[index].enumerated() {
                for next in lower[id, default: []] { if let target = below[next] { segments.append((position, target)) } }
            }
            for i in segments.indices {
                for j in segments.indices where j > i {
                    let (a, b) = (segments[i], segments[j])
                    if (a.0 - b.0) * (a.1 - b.1) < 0 { total += 1 }
                }
            }
        }
        return total
    }

    /// Horizontal centres: each layer packed in order, then nodes pulled towards the mean
    /// position of their neighbours, as close as the spacing allows.
    private static func placed(
        _ layers: [[String]], widths: [String: Double], upper: [String: [String]], lower: [String: [String]]
    ) -> [String: Double] {
        var x: [String: Double] = [:]
        for layer in layers {
            var cursor = 0.0
            for id in layer {
                x[id] = cursor + widths[id]! / 2
                cursor += widths[id]! + nodeSpacing
            }
        }
        for round in 0..<10 {
            let downwards = round % 2 == 0
            for index in downwards ? Array(layers.indices) : Array(layers.indices.reversed()) {
                let layer = layers[index]
                let desired = layer.map { id -> Double in
                    let linked = (upper[id, default: []] + lower[id, default: []]).compactMap { x[$0] }
                    return linked.isEmpty ? x[id]! : linked.reduce(0, +) / Double(linked.count)
                }
                let centres = closest(desired, widths: layer.map { widths[$0]! })
                for (id, centre) in zip(layer, centres) { x[id] = centre }
            }
        }
        return x
    }

    /// The centres closest (in squared distance) to `desired` that keep the given order
    /// and the spacing between neighbours: overlapping neighbours are merged into blocks
    /// placed at the mean of what their members want.
    private static func closest(_ desired: [Double], widths: [Double]) -> [Double] {
        // A block: first member, member count, and the sum of (desired - offset in block).
        var blocks: [(first: Int, count: Int, sum: Double)] = []
        var offsets = [Double](repeating: 0, count: desired.count)
        for index in desired.indices {
            blocks.append((index, 1, desired[index]))
            offsets[index] = 0
            while blocks.count > 1 {
                let last = blocks[blocks.count - 1]
                let previous = blocks[blocks.count - 2]
                let previousEnd = previous.first + previous.count - 1
                let previousRight = previous.sum / Double(previous.count) + offsets[previousEnd] + widths[previousEnd] / 2
                let lastLeft = last.sum / Double(last.count) - widths[last.first] / 2
                guard previousRight + nodeSpacing > lastLeft else { break }
                let shift = offsets[previousEnd] + widths[previousEnd] / 2 + nodeSpacing + widths[last.first] / 2
                var sum = previous.sum
                for member in last.first..<(last.first + last.count) {
                    offsets[member] += shift
                    sum += desired[member] - offsets[member]
                }
                blocks.removeLast(2)
                blocks.append((previous.first, previous.count + last.count, sum))
            }
        }
        var centres = [Double](repeating: 0, count: desired.count)
        for block in blocks {
            let start = block.sum / Double(block.count)
            for member in block.first..<(block.first + block.count) { centres[member] = start + offsets[member] }
        }
        return centres
    }
}
