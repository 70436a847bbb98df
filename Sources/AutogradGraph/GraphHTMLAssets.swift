/// The stylesheet and script inlined into every page made by ``ComputationGraph/html(title:)``.
enum GraphHTMLAssets {
    /// The page's CSS.
    static let style = """
        :root { color-scheme: light; }
        body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1d1d1f; background: #fafafa; }
        header { padding: 12px 20px 8px; border-bottom: 1px solid #ddd; background: #fff; }
        h1 { font-size: 18px; margin: 0 0 8px; }
        .legend { display: flex; flex-wrap: wrap; gap: 6px 16px; align-items: center; font-size: 12px; }
        .key { display: inline-flex; align-items: center; gap: 6px; }
        .key.note { color: #555; }
        .swatch { display: inline-block; width: 22px; height: 14px; border: 1.5px solid; }
        main { display: flex; align-items: flex-start; gap: 16px; padding: 16px 20px; }
        .canvas { flex: 1 1 auto; overflow: auto; background: #fff; border: 1px solid #ddd; border-radius: 6px; }
        svg { display: block; font-family: Helvetica, Arial, sans-serif; font-size: 12px; }
        .cluster rect { fill: rgba(120, 120, 120, 0.04); stroke: #7a7a7a; stroke-dasharray: 5 4; }
        .cluster text { fill: #7a7a7a; font-weight: bold; font-size: 12px; }
        .edge { fill: none; stroke: #555; stroke-width: 1.2; }
        .edge.cut { stroke: #b03a2e; stroke-dasharray: 6 4; stroke-width: 1.6; }
        .edge.active { stroke: #1f5fbf; stroke-width: 2.4; }
        .edge-label rect { fill: #fff; fill-opacity: 0.92; stroke: none; }
        .edge-label text { fill: #b03a2e; font-size: 11px; }
        .node { cursor: pointer; }
        .node:focus { outline: none; }
        .node rect, .node ellipse { stroke-width: 1.2; }
        .node.output rect { stroke-width: 3; }
        .node.selected rect, .node.selected ellipse, .node:hover rect, .node:hover ellipse { stroke-width: 3; filter: drop-shadow(0 1px 3px rgba(0, 0, 0, 0.35)); }
        .node .title { font-weight: bold; font-size: 12.5px; }
        .node .shape { fill: #666; font-size: 10.5px; }
        .node .gradient { fill: #b03a2e; }
        aside { flex: 0 0 340px; max-height: calc(100vh - 120px); overflow: auto; background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 12px 14px; position: sticky; top: 16px; }
        aside h2 { font-size: 16px; margin: 0 0 2px; }
        aside h3 { font-size: 12px; text-transform: uppercase; letter-spacing: 0.04em; color: #666; margin: 12px 0 4px; }
        aside pre { margin: 0; padding: 6px 8px; background: #f4f4f4; border-radius: 4px; font-size: 12px; overflow-x: auto; }
        aside .gradient pre { background: #fbeeee; color: #8a2a20; }
        aside .kind { color: #666; font-size: 12px; }
        aside ul { margin: 0; padding-left: 18px; }
        .hint { color: #666; }
        """

    /// The page's script: fills the details panel on hover (and keeps it on click or Enter)
    /// and highlights the node's edges. It reads the JSON in `#graph-data`.
    static let script = """
        (function () {
          "use strict";
          window.addEventListener("error", function (event) {
            document.body.setAttribute("data-graph-error", String(event.message));
          });
          var details = {};
          JSON.parse(document.getElementById("graph-data").textContent).forEach(function (node) {
            details[node.id] = node;
          });
          var panel = document.getElementById("details");
          var pinned = null;

          function element(tag, className, text) {
            var result = document.createElement(tag);
            if (className) { result.className = className; }
            if (text !== undefined) { result.textContent = text; }
            return result;
          }

          function section(title, body, className) {
            var wrapper = element("div", className);
            wrapper.appendChild(element("h3", null, title));
            wrapper.appendChild(body);
            return wrapper;
          }

          function links(items, arrow) {
            var list = element("ul");
            items.forEach(function (link) {
              var text = arrow + " " + link.node;
              if (link.cut) { text += ": cut by detach(), no gradient"; }
              else if (link.gradient) { text += ": grad " + link.gradient; }
              list.appendChild(element("li", null, text));
            });
            return list;
          }

          function show(id) {
            var node = details[id];
            if (!node) { return; }
            panel.textContent = "";
            panel.appendChild(element("h2", null, node.label));
            panel.appendChild(element("div", "kind", node.kind + (node.shape ? " · shape " + node.shape : "")));
            if (node.value) { panel.appendChild(section("Value", element("pre", null, node.value))); }
            if (node.gradient) { panel.appendChild(section("Gradient", element("pre", null, node.gradient), "gradient")); }
            if (node.paths) { panel.appendChild(section("Gradient by path from the output", element("pre", null, node.paths), "gradient")); }
            if (node.attributes.length) { panel.appendChild(section("Attributes", element("pre", null, node.attributes.join("\\n")))); }
            if (node.inputs.length) { panel.appendChild(section("Inputs", links(node.inputs, "←"))); }
            if (node.outputs.length) { panel.appendChild(section("Used by", links(node.outputs, "→"))); }
            document.querySelectorAll(".edge").forEach(function (edge) {
              var touches = edge.getAttribute("data-from") === id || edge.getAttribute("data-to") === id;
              edge.classList.toggle("active", touches);
            });
            document.querySelectorAll(".node").forEach(function (other) {
              other.classList.toggle("selected", other.getAttribute("data-id") === id);
            });
          }

          document.querySelectorAll(".node").forEach(function (node) {
            var id = node.getAttribute("data-id");
            node.addEventListener("mouseenter", function () { if (!pinned) { show(id); } });
            node.addEventListener("click", function () { pinned = pinned === id ? null : id; show(id); });
            node.addEventListener("keydown", function (event) {
              if (event.key === "Enter") { pinned = id; show(id); }
            });
          });
          var output = document.querySelector(".node.output");
          if (output) { show(output.getAttribute("data-id")); }
          document.body.setAttribute("data-graph-ready", "true");
        })();
        """
}
