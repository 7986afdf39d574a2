/* ghostedu explorers: change a size, see every shape and count follow.
 *
 * Plain JavaScript, no framework, nothing fetched. The book loads this file on every page
 * (_ext/ghostedu_book.py). A notebook cell output from ghostedu.viz.explorer is a
 * <div class="ghostedu-explorer" data-explorer="KIND" data-config="{...}"> holding a note and a
 * static table; on load, each one is replaced by the widget KIND, built from its config (the
 * chapter's opening setting, the ranges of the controls, and the sizes read from the package).
 *
 * The formulas are those of ghostedu.shapes (output sizes, receptive fields) and of
 * ghostedu.counting (parameters as torchinfo counts them, multiply-adds as
 * torch.utils.flop_counter counts them). tests/test_explorers_browser.py drives every widget
 * through its labelled controls and compares what the page shows with real torch layers.
 *
 * Labels come from LABELS, keyed by the page's <html lang>: a translated edition adds its table.
 */
(function () {
  "use strict";

  var LABELS = {
    en: {
      // conv-arithmetic
      convTitle: "Convolution arithmetic explorer",
      mode: "Kind of layer",
      mode_conv1d: "1D convolution (nn.Conv1d)",
      mode_conv2d: "2D convolution, square (nn.Conv2d)",
      mode_conv_transpose1d: "1D transposed convolution (nn.ConvTranspose1d)",
      length: "Input size",
      kernel_size: "Kernel size k",
      stride: "Stride s",
      padding: "Padding p",
      dilation: "Dilation d",
      output_padding: "Output padding",
      outRow: "Output row shown",
      outCol: "Output column shown",
      outLength: "Output length",
      outSize: "Output size",
      formula: "Formula",
      unreadInputs: "Inputs no window reads",
      unreadInputs2d: "Inputs no window reads (per axis)",
      unreachedOutputs: "Outputs no input reaches",
      none: "none",
      colon: ": ",
      refused: "PyTorch refuses this setting",
      tooLarge: "the kernel spans d(k − 1) + 1 = {0} positions, more than the padded input {1} + 2·{2} = {3}",
      opTooLarge: "output padding {0} must be smaller than the stride ({1}) or the dilation ({2})",
      transposeEmpty: "the output length ({0} − 1)·{1} − 2·{2} + {3}·({4} − 1) + {5} + 1 = {6} is not positive",
      legendConv: "Top row: the input, padding dashed, inputs no window reads in red. Each row below: the positions one output reads (orange).",
      legendConv2d: "Left: the padded input (padding grey, inputs no window reads in red, the window of the output shown in orange). Right: the output, that pixel in orange.",
      legendTranspose: "Top row: the output before cropping (the cropped padding dashed, outputs no input reaches in red). Each row below: the positions one input writes to (orange).",
      input: "input",
      output: "output",
      // dilation
      dilTitle: "Dilation rates explorer",
      layers: "Number of 3×3 layers",
      rate: "Rate (dilation) of layer {0}",
      field: "Receptive field",
      fieldValue: "{0} × {0} pixels",
      fieldFormula: "r = 1 + ({0} − 1)·({1}) = {2}",
      used: "Input pixels the centre output depends on",
      usedValue: "{0} of {1} ({2} %)",
      legendDil: "The receptive field of the centre output: the pixels it depends on are dark, the holes light.",
      // net-length
      netTitle: "Input length explorer for Net",
      netLength: "Input length L (samples)",
      netSlider: "Input length L, slider",
      stage: "Stage",
      layer: "Layer",
      branch: "branch {0}",
      features: "Features entering fc",
      verdict: "Net",
      accepts: "accepts L = {0}",
      refusesFeatures: "refuses L = {0}: fc expects {1} features, it gets {2}",
      refusesShort: "refuses L = {0}: {1} gets {2} positions, too few for its window (k={3}, padding {4}); PyTorch raises",
      bandLabel: "Accepted lengths (green on the bar)",
      band: "Input lengths {0} to {1}; Net accepts {2}..{3}",
      trunkInput: "input",
      // block-cost
      costTitle: "Cost of a block explorer",
      in_channels: "Input channels C_in",
      out_channels: "Output channels C_out",
      kernel_k: "Kernel size k",
      height: "Height H",
      width: "Width W",
      ratio: "Ghost module ratio",
      dw_size: "Ghost module dw_size",
      block: "Block",
      params: "Parameters",
      macs: "Multiply-adds",
      vsParams: "standard ÷ this, parameters",
      vsMacs: "standard ÷ this, multiply-adds",
      std: "standard convolution",
      sep: "depthwise separable (depthwise + pointwise)",
      ghost: "Ghost module",
      shapes: "Shapes",
      outShape: "output {0} × {1} × {2}; the Ghost module computes {3} intrinsic and {4} ghost maps and keeps the first {5}",
      evenK: "an even kernel size ({0}) with padding k // 2 makes every map one pixel larger than its input, so GhostModule refuses it (an odd k keeps the size)",
      evenDw: "an even dw_size ({0}) with padding dw_size // 2 makes the ghost maps one pixel larger than the intrinsic maps, and torch.cat refuses them",
      countedAs: "Parameters as torchinfo counts them (convolution weights, no bias, and each batch norm's scale and shift). Multiply-adds as torch.utils.flop_counter counts them (FLOPs / 2): convolutions only, batch norm and ReLU not counted — the counts of ghostedu.counting."
    },
    zh: {
      convTitle: "卷积尺寸计算演示",
      mode: "层的类型",
      mode_conv1d: "一维卷积（nn.Conv1d）",
      mode_conv2d: "二维卷积，正方形输入（nn.Conv2d）",
      mode_conv_transpose1d: "一维转置卷积（nn.ConvTranspose1d）",
      length: "输入长度",
      kernel_size: "卷积核大小 k",
      stride: "步长 s",
      padding: "填充 p",
      dilation: "膨胀率 d",
      output_padding: "输出填充",
      outRow: "显示的输出行",
      outCol: "显示的输出列",
      outLength: "输出长度",
      outSize: "输出尺寸",
      formula: "公式",
      unreadInputs: "没有被任何窗口读到的输入",
      unreadInputs2d: "没有被任何窗口读到的输入（每个轴）",
      unreachedOutputs: "没有任何输入写到的输出",
      none: "无",
      colon: "：",
      refused: "PyTorch 不接受这个设置",
      tooLarge: "卷积核跨度 d(k − 1) + 1 = {0}，大于填充后的输入长度 {1} + 2·{2} = {3}",
      opTooLarge: "输出填充 {0} 必须小于步长（{1}）或膨胀率（{2}）",
      transposeEmpty: "输出长度 ({0} − 1)·{1} − 2·{2} + {3}·({4} − 1) + {5} + 1 = {6} 不是正数",
      legendConv: "第一行是输入，虚线格为填充，红色格是没有被任何窗口读到的输入。下面每一行是一个输出读取的位置（橙色）。",
      legendConv2d: "左：填充后的输入（灰色为填充，红色为没有被读到的输入，橙色为所示输出的窗口）。右：输出，所示像素为橙色。",
      legendTranspose: "第一行是裁剪前的输出（虚线为被裁掉的填充，红色为没有任何输入写到的输出）。下面每一行是一个输入写到的位置（橙色）。",
      input: "输入",
      output: "输出",
      dilTitle: "空洞卷积膨胀率演示",
      layers: "3×3 卷积层数",
      rate: "第 {0} 层的膨胀率（空洞率）",
      field: "感受野",
      fieldValue: "{0} × {0} 像素",
      fieldFormula: "r = 1 + ({0} − 1)·({1}) = {2}",
      used: "中心输出依赖的输入像素",
      usedValue: "{1} 个中的 {0} 个（{2} %）",
      legendDil: "中心输出的感受野：它依赖的像素为深色，空洞为浅色。",
      netTitle: "Net 的输入长度演示",
      netLength: "输入长度 L（采样点）",
      netSlider: "输入长度 L，滑块",
      stage: "阶段",
      layer: "层",
      branch: "分支 {0}",
      features: "进入 fc 的特征数",
      verdict: "Net",
      accepts: "接受 L = {0}",
      refusesFeatures: "不接受 L = {0}：fc 需要 {1} 个特征，实际得到 {2} 个",
      refusesShort: "不接受 L = {0}：{1} 只得到 {2} 个位置，容不下它的窗口（k={3}，填充 {4}），PyTorch 报错",
      bandLabel: "可接受的长度（条上绿色部分）",
      band: "输入长度 {0} 到 {1}；Net 接受 {2}..{3}",
      trunkInput: "输入",
      costTitle: "模块计算量演示",
      in_channels: "输入通道数 C_in",
      out_channels: "输出通道数 C_out",
      kernel_k: "卷积核大小 k",
      height: "特征图高度 H",
      width: "特征图宽度 W",
      ratio: "Ghost 模块的 ratio",
      dw_size: "Ghost 模块的 dw_size",
      block: "模块",
      params: "参数量",
      macs: "乘加次数",
      vsParams: "标准卷积 ÷ 本模块（参数量）",
      vsMacs: "标准卷积 ÷ 本模块（乘加次数）",
      std: "标准卷积",
      sep: "深度可分离卷积（逐通道卷积 + 逐点卷积）",
      ghost: "Ghost 模块",
      shapes: "形状",
      outShape: "输出 {0} × {1} × {2}；Ghost 模块计算 {3} 个本征特征图和 {4} 个幻影特征图，保留前 {5} 个",
      evenK: "卷积核大小为偶数（{0}）时，padding = k // 2 使每个特征图比输入大一个像素，因此 GhostModule 拒绝它（奇数 k 才保持尺寸）",
      evenDw: "dw_size 为偶数（{0}）时，padding = dw_size // 2 使幻影特征图比本征特征图大一个像素，torch.cat 无法拼接",
      countedAs: "参数量按 torchinfo 的统计（卷积权重，无偏置，加上每个批归一化的缩放和平移参数）。乘加次数按 torch.utils.flop_counter 的统计（FLOPs / 2）：只计卷积，不计批归一化和 ReLU，与 ghostedu.counting 相同。"
    }
  };

  function language() {
    var lang = (document.documentElement.getAttribute("lang") || "en").toLowerCase().replace("_", "-");
    if (LABELS[lang]) return lang;
    var base = lang.split("-")[0];
    return LABELS[base] ? base : "en";
  }

  var L = LABELS.en;
  function t(key) {
    var text = L[key] !== undefined ? L[key] : LABELS.en[key];
    var args = Array.prototype.slice.call(arguments, 1);
    return text.replace(/\{(\d+)\}/g, function (_, i) { return String(args[+i]); });
  }

  // ------------------------------------------------------------------ small helpers
  var uid = 0;
  var SVG = "http://www.w3.org/2000/svg";

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    setAttrs(node, attrs);
    (children || []).forEach(function (c) { node.append(c); });
    return node;
  }
  function svgEl(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    setAttrs(node, attrs);
    return node;
  }
  function setAttrs(node, attrs) {
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
  }
  function fmt(n) {  // 1234567 -> "1,234,567", the same in every language and browser
    var s = String(Math.abs(n)), out = "";
    while (s.length > 3) { out = "," + s.slice(-3) + out; s = s.slice(0, -3); }
    return (n < 0 ? "-" : "") + s + out;
  }
  function floorDiv(a, b) { return Math.floor(a / b); }

  // Many events in a row (typing, a script filling several boxes) redraw once, right after them.
  function coalesced(render) {
    var pending = false;
    return function () {
      if (pending) return;
      pending = true;
      queueMicrotask(function () { pending = false; render(); });
    };
  }

  // A labelled number box. The value it takes is an integer clamped to [lo, hi]; on "change"
  // (Enter, leaving the box, the arrow keys) the box shows the value taken.
  function numberControl(parent, label, lo, hi, value, onInput) {
    var id = "gx-" + (++uid);
    var input = el("input", {type: "number", id: id, min: lo, max: hi, step: 1, value: value,
                             inputmode: "numeric"});
    var wrap = el("div", {class: "gx-control"}, [el("label", {for: id, text: label}), input]);
    parent.append(wrap);
    var last = value;
    var control = {
      input: input, wrap: wrap,
      get: function () {
        var v = Number(input.value);
        if (input.value.trim() === "" || !isFinite(v)) v = last;
        v = Math.min(hi, Math.max(lo, Math.round(v)));
        last = v;
        return v;
      },
      setRange: function (newLo, newHi) {
        lo = newLo; hi = newHi;
        input.min = lo; input.max = hi;
        var v = control.get();
        if (String(v) !== input.value) input.value = v;
      },
      set: function (v) { input.value = v; last = v; }
    };
    input.addEventListener("input", onInput);
    // On "change" (Enter, leaving the box) the box shows the value taken, once any redraw due has
    // set the ranges (the output row and column follow the output size).
    input.addEventListener("change", function () {
      queueMicrotask(function () {
        var v = String(control.get());
        if (input.value !== v) { input.value = v; onInput(); }
      });
    });
    return control;
  }

  function selectControl(parent, label, options, value, onInput) {
    var id = "gx-" + (++uid);
    var select = el("select", {id: id});
    options.forEach(function (o) {
      var opt = el("option", {value: o.value, text: o.label});
      if (o.value === value) opt.selected = true;
      select.append(opt);
    });
    parent.append(el("div", {class: "gx-control"}, [el("label", {for: id, text: label}), select]));
    select.addEventListener("change", onInput);
    select.addEventListener("input", onInput);
    return select;
  }

  function frame(root, title) {
    var box = el("section", {class: "gx-widget", "aria-label": title});
    box.append(el("p", {class: "gx-title", text: title}));
    var controls = el("div", {class: "gx-controls"});
    var results = el("div", {class: "gx-results", "aria-live": "polite"});
    var figure = el("div", {class: "gx-figure"});
    box.append(controls, results, figure);
    return {box: box, controls: controls, results: results, figure: figure};
  }

  function line(parent, role, label, value, cls) {
    var v = el("span", {class: "gx-value", "data-role": role, text: value});
    var p = el("p", {class: "gx-line" + (cls ? " " + cls : "")}, [el("span", {class: "gx-label", text: label + t("colon")}), v]);
    parent.append(p);
    return v;
  }

  // A grid of square cells in an SVG that scales down with the page.
  function cellSvg(cols, rows, cell, extraLeft, extraTop, label) {
    var w = extraLeft + cols * cell + 2, h = extraTop + rows * cell + 2;
    return svgEl("svg", {viewBox: "0 0 " + w + " " + h, width: w, height: h, role: "img",
                         "aria-label": label, class: "gx-svg"});
  }
  function rect(svg, x, y, size, cls, data) {
    var r = svgEl("rect", {x: x + 0.5, y: y + 0.5, width: size - 1, height: size - 1, class: cls});
    Object.keys(data || {}).forEach(function (k) { r.setAttribute("data-" + k, data[k]); });
    svg.append(r);
    return r;
  }
  // Cell borders as one path: cols x rows cells of `cell` pixels from (x0, y0).
  function grid(svg, x0, y0, cols, rows, cell, cls) {
    var d = "";
    for (var i = 0; i <= cols; i++) d += "M" + (x0 + i * cell) + " " + y0 + "v" + rows * cell;
    for (var j = 0; j <= rows; j++) d += "M" + x0 + " " + (y0 + j * cell) + "h" + cols * cell;
    svg.append(svgEl("path", {d: d, class: cls || "gx-grid"}));
  }
  function text(svg, x, y, s, cls) {
    svg.append(svgEl("text", {x: x, y: y, class: cls || "gx-svg-text", text: s}));
  }

  // ------------------------------------------------------------------ 1. convolution arithmetic
  function convWindows(n, k, s, p, d) {  // input positions o*s - p + j*d read by output o
    var out = floorDiv(n + 2 * p - d * (k - 1) - 1, s) + 1, windows = [];
    for (var o = 0; o < out; o++) {
      var w = [];
      for (var j = 0; j < k; j++) w.push(o * s - p + j * d);
      windows.push(w);
    }
    return windows;
  }
  function convFormula(axes, n, k, s, p, d, out) {
    var terms = String(n) + (p ? " + 2*" + p : "");
    terms += d === 1 ? " - " + k : " - " + d + "*(" + k + " - 1) - 1";
    return axes + " = floor((" + terms + ")/" + s + ") + 1 = " + out;
  }

  function buildConv(root, cfg) {
    var f = frame(root, t("convTitle"));
    var init = cfg.initial, lim = cfg.limits, c = {}, later = coalesced(update);
    var mode = selectControl(f.controls, t("mode"), cfg.modes.map(function (m) {
      return {value: m, label: t("mode_" + m)};
    }), init.mode, later);
    ["length", "kernel_size", "stride", "padding", "dilation", "output_padding"].forEach(function (key) {
      c[key] = numberControl(f.controls, t(key), lim[key][0], lim[key][1], init[key], later);
    });
    c.row = numberControl(f.controls, t("outRow"), 0, 0, 0, later);
    c.col = numberControl(f.controls, t("outCol"), 0, 0, 0, later);

    function update() {
      var m = mode.value, n = c.length.get(), k = c.kernel_size.get(), s = c.stride.get(),
          p = c.padding.get(), d = c.dilation.get(), op = c.output_padding.get();
      c.output_padding.wrap.hidden = m !== "conv_transpose1d";
      c.row.wrap.hidden = c.col.wrap.hidden = m !== "conv2d";
      f.results.replaceChildren();
      f.figure.replaceChildren();
      if (m === "conv_transpose1d") return transposed(n, k, s, p, d, op);
      var span = d * (k - 1) + 1;
      if (n + 2 * p < span) {
        line(f.results, "error", t("refused"), t("tooLarge", span, n, p, n + 2 * p), "gx-error");
        return;
      }
      var windows = convWindows(n, k, s, p, d), out = windows.length, read = {};
      windows.forEach(function (w) { w.forEach(function (i) { read[i] = true; }); });
      var unread = [];
      for (var i = 0; i < n; i++) if (!read[i]) unread.push(i);
      if (m === "conv1d") {
        line(f.results, "output", t("outLength"), String(out));
        line(f.results, "formula", t("formula"), convFormula("L_out", n, k, s, p, d, out), "gx-code");
        line(f.results, "unread", t("unreadInputs"), unread.length ? unread.join(", ") : t("none"));
        draw1d(n, p, windows, read);
      } else {
        c.row.setRange(0, out - 1);
        c.col.setRange(0, out - 1);
        line(f.results, "output", t("outSize"), out + " × " + out);
        line(f.results, "formula", t("formula"), convFormula("H_out = W_out", n, k, s, p, d, out), "gx-code");
        line(f.results, "unread", t("unreadInputs2d"), unread.length ? unread.join(", ") : t("none"));
        draw2d(n, p, out, windows[c.row.get()], windows[c.col.get()], read, c.row.get(), c.col.get());
      }
    }

    function draw1d(n, p, windows, read) {
      var cell = 16, left = 34, top = 14, cols = n + 2 * p;
      var svg = cellSvg(cols, windows.length + 1, cell, left, top, t("legendConv"));
      for (var pos = -p; pos < n + p; pos++) {
        var x = left + (pos + p) * cell;
        var cls = pos < 0 || pos >= n ? "gx-pad" : read[pos] ? "gx-in" : "gx-unread";
        rect(svg, x, top, cell, cls, {pos: pos});
        if (pos >= 0 && pos < n && (n <= 20 || pos % 5 === 0)) text(svg, x + cell / 2, top - 3, String(pos), "gx-svg-text gx-mid");
      }
      text(svg, 2, top + cell - 4, t("input"));
      grid(svg, left, top + cell, cols, windows.length, cell);
      windows.forEach(function (w, o) {
        var y = top + (o + 1) * cell;
        text(svg, 2, y + cell - 4, "y" + o);
        w.forEach(function (pos) { rect(svg, left + (pos + p) * cell, y, cell, "gx-tap", {o: o, pos: pos}); });
      });
      f.figure.append(svg, el("p", {class: "gx-legend", text: t("legendConv")}));
    }

    // The padded input: padding, the input, its unread rows and columns as red stripes, the taps of
    // the output shown; then the output with that pixel marked. A few dozen elements at most.
    function draw2d(n, p, out, rowWin, colWin, read, orow, ocol) {
      var cols = n + 2 * p, cell = Math.max(8, Math.min(18, Math.floor(360 / cols))), top = 4, left = 4;
      var outCell = Math.max(8, Math.min(18, Math.floor(200 / out)));
      var gap = 24, w = left + cols * cell + gap + out * outCell + 4, h = top + Math.max(cols * cell, out * outCell) + 4;
      var svg = svgEl("svg", {viewBox: "0 0 " + w + " " + h, width: w, height: h, role: "img",
                              "aria-label": t("legendConv2d"), class: "gx-svg"});
      svg.append(svgEl("rect", {x: left, y: top, width: cols * cell, height: cols * cell, class: "gx-pad gx-area"}));
      var x0 = left + p * cell, y0 = top + p * cell;
      svg.append(svgEl("rect", {x: x0, y: y0, width: n * cell, height: n * cell, class: "gx-in gx-area"}));
      for (var i = 0; i < n; i++) {
        if (!read[i]) {
          svg.append(svgEl("rect", {x: x0, y: y0 + i * cell, width: n * cell, height: cell, class: "gx-unread gx-area", "data-r": i}));
          svg.append(svgEl("rect", {x: x0 + i * cell, y: y0, width: cell, height: n * cell, class: "gx-unread gx-area", "data-c": i}));
        }
      }
      rowWin.forEach(function (r) {
        colWin.forEach(function (c) { rect(svg, left + (c + p) * cell, top + (r + p) * cell, cell, "gx-tap", {r: r, c: c}); });
      });
      grid(svg, left, top, cols, cols, cell);
      var ox = left + cols * cell + gap;
      svg.append(svgEl("rect", {x: ox, y: top, width: out * outCell, height: out * outCell, class: "gx-out gx-area"}));
      rect(svg, ox + ocol * outCell, top + orow * outCell, outCell, "gx-selected", {or: orow, oc: ocol});
      grid(svg, ox, top, out, out, outCell);
      f.figure.append(svg, el("p", {class: "gx-legend", text: t("legendConv2d")}));
    }

    function transposed(n, k, s, p, d, op) {
      var out = (n - 1) * s - 2 * p + d * (k - 1) + op + 1;
      if (op >= s && op >= d) {
        line(f.results, "error", t("refused"), t("opTooLarge", op, s, d), "gx-error");
        return;
      }
      if (out < 1) {
        line(f.results, "error", t("refused"), t("transposeEmpty", n, s, p, d, k, op, out), "gx-error");
        return;
      }
      // Input i writes to full position i*s + j*d; output o is full position o + p.
      var reached = {}, rows = [];
      for (var i = 0; i < n; i++) {
        var w = [];
        for (var j = 0; j < k; j++) { w.push(i * s + j * d); reached[i * s + j * d] = true; }
        rows.push(w);
      }
      var unreached = [];
      for (var o = 0; o < out; o++) if (!reached[o + p]) unreached.push(o);
      line(f.results, "output", t("outLength"), String(out));
      line(f.results, "formula", t("formula"),
           "L_out = (" + n + " - 1)*" + s + " - 2*" + p + " + " + d + "*(" + k + " - 1) + " + op + " + 1 = " + out, "gx-code");
      line(f.results, "unreached", t("unreachedOutputs"), unreached.length ? unreached.join(", ") : t("none"));
      var full = Math.max((n - 1) * s + d * (k - 1) + 1, p + out);
      var cell = 14, left = 34, top = 14;
      var svg = cellSvg(full, n + 1, cell, left, top, t("legendTranspose"));
      for (var q = 0; q < full; q++) {
        var x = left + q * cell, idx = q - p;
        var cls = idx < 0 || idx >= out ? "gx-pad" : reached[q] ? "gx-in" : "gx-unread";
        rect(svg, x, top, cell, cls, idx >= 0 && idx < out ? {out: idx} : {});
        if (idx >= 0 && idx < out && (out <= 20 || idx % 5 === 0)) text(svg, x + cell / 2, top - 3, String(idx), "gx-svg-text gx-mid");
      }
      text(svg, 2, top + cell - 4, t("output"));
      grid(svg, left, top + cell, full, n, cell);
      rows.forEach(function (w, i) {
        var y = top + (i + 1) * cell;
        text(svg, 2, y + cell - 4, "x" + i);
        w.forEach(function (q) { rect(svg, left + q * cell, y, cell, "gx-tap", {i: i, out: q - p}); });
      });
      f.figure.append(svg, el("p", {class: "gx-legend", text: t("legendTranspose")}));
    }

    update();
    return f.box;
  }

  // ------------------------------------------------------------------ 2. dilation rates
  function buildDilation(root, cfg) {
    var f = frame(root, t("dilTitle"));
    var k = cfg.kernel_size, lim = cfg.limits, init = cfg.initial.rates, later = coalesced(update);
    var layers = numberControl(f.controls, t("layers"), lim.layers[0], lim.layers[1], init.length, later);
    var rates = [];
    for (var i = 0; i < lim.layers[1]; i++) {
      rates.push(numberControl(f.controls, t("rate", i + 1), lim.rate[0], lim.rate[1],
                               i < init.length ? init[i] : init[init.length - 1], later));
    }

    function update() {
      var n = layers.get(), rs = [];
      rates.forEach(function (r, i) { r.wrap.hidden = i >= n; if (i < n) rs.push(r.get()); });
      var sum = rs.reduce(function (a, b) { return a + b; }, 0);
      var field = 1 + (k - 1) * sum, half = (field - 1) / 2;
      // Offsets from the centre that the centre output depends on, along one axis: each layer
      // (padding r(k - 1)/2, stride 1) reads offsets (j - (k - 1)/2)*r, j = 0..k-1.
      var set = {0: true};
      rs.slice().reverse().forEach(function (r) {
        var next = {};
        Object.keys(set).forEach(function (x) {
          for (var j = 0; j < k; j++) next[+x + (j - (k - 1) / 2) * r] = true;
        });
        set = next;
      });
      var oneAxis = Object.keys(set).map(Number);
      var used = oneAxis.length * oneAxis.length;
      f.results.replaceChildren();
      f.figure.replaceChildren();
      line(f.results, "field", t("field"), t("fieldValue", field));
      line(f.results, "field-formula", t("formula"), t("fieldFormula", k, rs.join(" + "), field), "gx-code");
      line(f.results, "used", t("used"), t("usedValue", used, field * field, Math.round(100 * used / (field * field))));
      var cell = Math.max(5, Math.min(22, Math.floor(420 / field)));
      // The pixels used are the used rows crossed with the used columns (square kernels): the row
      // stripes are drawn clipped to the column stripes, two elements per offset instead of one
      // per pixel.
      var svg = cellSvg(field, field, cell, 2, 2, t("legendDil"));
      var side = field * cell, clipId = "gx-clip-" + (++uid);
      svg.append(svgEl("rect", {x: 2, y: 2, width: side, height: side, class: "gx-hole gx-area"}));
      var clip = svgEl("clipPath", {id: clipId}), rows = svgEl("g", {"clip-path": "url(#" + clipId + ")"});
      oneAxis.forEach(function (v) {
        clip.append(svgEl("rect", {x: 2 + (v + half) * cell, y: 2, width: cell, height: side, "data-dx": v}));
        rows.append(svgEl("rect", {x: 2, y: 2 + (v + half) * cell, width: side, height: cell, class: "gx-used gx-area",
                                   "data-dy": v}));
      });
      svg.append(clip, rows);
      if (cell >= 6) grid(svg, 2, 2, field, field, cell, "gx-grid gx-grid-light");
      svg.append(svgEl("rect", {x: 2 + half * cell, y: 2 + half * cell, width: cell, height: cell, class: "gx-centre"}));
      f.figure.append(svg, el("p", {class: "gx-legend", text: t("legendDil")}));
    }
    update();
    return f.box;
  }

  // ------------------------------------------------------------------ 3. Net's input length
  function windowLength(n, w) {  // conv and floor-mode pool: floor((n + 2p - d(k-1) - 1)/s) + 1
    return floorDiv(n + 2 * w.padding - w.dilation * (w.kernel_size - 1) - 1, w.stride) + 1;
  }
  function windowText(w) {
    return "k=" + w.kernel_size + ", s=" + w.stride + (w.padding ? ", p=" + w.padding : "") +
           (w.dilation !== 1 ? ", d=" + w.dilation : "");
  }

  function buildNet(root, cfg) {
    var f = frame(root, t("netTitle"));
    var net = cfg.net, lo = cfg.limits.length[0], hi = cfg.limits.length[1], band = cfg.accepted;
    var later = coalesced(update);
    var box = numberControl(f.controls, t("netLength"), lo, hi, cfg.initial.length, fromBox);
    var sid = "gx-" + (++uid);
    var slider = el("input", {type: "range", id: sid, min: lo, max: hi, step: 1, value: cfg.initial.length,
                              class: "gx-slider"});
    f.controls.append(el("div", {class: "gx-control gx-wide"}, [el("label", {for: sid, text: t("netSlider")}), slider]));
    slider.addEventListener("input", function () { box.set(slider.value); later(); });
    slider.addEventListener("change", function () { box.set(slider.value); later(); });
    function fromBox() { slider.value = box.get(); later(); }

    // The band: the range of the slider, the accepted lengths in green, L as a line.
    var bw = 600, bh = 34, pad = 6;
    function xOf(v) { return pad + (bw - 2 * pad) * (v - lo) / Math.max(1, hi - lo); }
    var bandSvg = svgEl("svg", {viewBox: "0 0 " + bw + " " + bh, width: bw, height: bh, class: "gx-svg gx-band-svg",
                                role: "img", "aria-label": t("band", lo, hi, band[0], band[1])});
    bandSvg.append(svgEl("rect", {x: pad, y: 8, width: bw - 2 * pad, height: 12, class: "gx-axis"}));
    bandSvg.append(svgEl("rect", {x: xOf(band[0]), y: 6, width: Math.max(2, xOf(band[1] + 1) - xOf(band[0])), height: 16,
                                  class: "gx-band", "data-from": band[0], "data-to": band[1]}));
    var marker = svgEl("line", {y1: 2, y2: 26, class: "gx-marker"});
    bandSvg.append(marker);
    text(bandSvg, pad, 32, String(lo), "gx-svg-text");
    var hiText = svgEl("text", {x: bw - pad, y: 32, class: "gx-svg-text gx-end", text: String(hi)});
    bandSvg.append(hiText);

    function update() {
      var n = box.get();
      marker.setAttribute("x1", xOf(n));
      marker.setAttribute("x2", xOf(n));
      marker.setAttribute("data-length", n);
      // Every stage in execution order: the trunk, then each branch and its pool2.
      var failed = null, lengths = {}, features = 0, parts = [];
      function run(len, w, key) {
        if (failed || len === null) return null;
        var out = windowLength(len, w);
        if (out < 1) { failed = {stage: w.name, length: len, k: w.kernel_size, p: w.padding}; return null; }
        lengths[key] = out;
        return out;
      }
      var len = n;
      net.trunk.forEach(function (w) { len = run(len, w, w.name); });
      net.branches.forEach(function (b, bi) {
        var x = len, channels = null;
        b.stages.forEach(function (w) { x = run(x, w, w.name); if (w.out_channels) channels = w.out_channels; });
        x = run(x, net.head, net.head.name + "#" + bi);
        if (x !== null) { features += channels * x; parts.push(channels + " × " + x); }
      });
      f.results.replaceChildren();
      var verdict;
      if (failed) {
        verdict = t("refusesShort", n, failed.stage, failed.length, failed.k, failed.p);
      } else if (features !== net.fc_in_features) {
        verdict = t("refusesFeatures", n, fmt(net.fc_in_features), fmt(features));
      } else {
        verdict = t("accepts", n);
      }
      line(f.results, "verdict", t("verdict"), verdict, failed || features !== net.fc_in_features ? "gx-error" : "gx-ok");
      line(f.results, "features", t("features"), failed ? "—" : parts.join(" + ") + " = " + fmt(features));
      line(f.results, "band", t("bandLabel"), band[0] + ".." + band[1]);
      // The table: trunk rows across, then one column per branch.
      var table = el("table", {class: "gx-table"});
      var head = el("tr", {}, [el("th", {scope: "col", text: t("stage")})]);
      net.branches.forEach(function (b) { head.append(el("th", {scope: "col", text: t("branch", b.name)})); });
      table.append(el("thead", {}, [head]));
      var body = el("tbody");
      function cellText(key) { return lengths[key] !== undefined ? fmt(lengths[key]) : "—"; }
      body.append(el("tr", {}, [el("th", {scope: "row", text: t("trunkInput")}),
                                el("td", {colspan: net.branches.length, "data-stage": "input", text: fmt(n)})]));
      net.trunk.forEach(function (w) {
        body.append(el("tr", {}, [el("th", {scope: "row", text: w.name + " (" + windowText(w) + ")"}),
                                  el("td", {colspan: net.branches.length, "data-stage": w.name, text: cellText(w.name)})]));
      });
      var depth = net.branches[0].stages.length;
      for (var i = 0; i < depth; i++) {
        var tr = el("tr", {}, [el("th", {scope: "row", text: net.branches.map(function (b) { return b.stages[i].name; }).join(" / ")})]);
        net.branches.forEach(function (b) {
          var w = b.stages[i];
          tr.append(el("td", {"data-stage": w.name, title: windowText(w), text: cellText(w.name)}));
        });
        body.append(tr);
      }
      var headRow = el("tr", {}, [el("th", {scope: "row", text: net.head.name + " (" + windowText(net.head) + ")"})]);
      net.branches.forEach(function (b, bi) {
        headRow.append(el("td", {"data-stage": net.head.name + "#" + bi, text: cellText(net.head.name + "#" + bi)}));
      });
      body.append(headRow);
      table.append(body);
      f.figure.replaceChildren(bandSvg, table);
    }
    update();
    return f.box;
  }

  // ------------------------------------------------------------------ 4. cost of a block
  function buildCost(root, cfg) {
    var f = frame(root, t("costTitle"));
    var lim = cfg.limits, init = cfg.initial, c = {}, later = coalesced(update);
    var keys = {in_channels: "in_channels", out_channels: "out_channels", kernel_size: "kernel_k", height: "height",
                width: "width", ratio: "ratio", dw_size: "dw_size"};
    Object.keys(keys).forEach(function (key) {
      c[key] = numberControl(f.controls, t(keys[key]), lim[key][0], lim[key][1], init[key], later);
    });
    f.figure.append(el("p", {class: "gx-legend", "data-role": "counted-as", text: t("countedAs")}));

    function update() {
      var ci = c.in_channels.get(), co = c.out_channels.get(), k = c.kernel_size.get(), h = c.height.get(),
          w = c.width.get(), ratio = c.ratio.get(), dw = c.dw_size.get();
      f.results.replaceChildren();
      if (k % 2 === 0) {
        line(f.results, "error", t("refused"), t("evenK", k), "gx-error");
        return;
      }
      if (dw % 2 === 0) {
        line(f.results, "error", t("refused"), t("evenDw", dw), "gx-error");
        return;
      }
      // Padding k // 2 at stride 1 keeps the size for an odd k.
      var ho = h + 2 * Math.floor(k / 2) - k + 1, wo = w + 2 * Math.floor(k / 2) - k + 1, pos = ho * wo;
      var m = Math.ceil(co / ratio), g = m * (ratio - 1);
      var rows = [
        ["std", ci * co * k * k + 2 * co, ci * co * k * k * pos],
        ["sep", ci * k * k + 2 * ci + ci * co + 2 * co, (ci * k * k + ci * co) * pos],
        ["ghost", ci * m * k * k + 2 * m + g * dw * dw + 2 * g, (ci * m * k * k + g * dw * dw) * pos]
      ];
      line(f.results, "shape", t("shapes"), t("outShape", co, ho, wo, m, g, co));
      var table = el("table", {class: "gx-table"});
      table.append(el("thead", {}, [el("tr", {}, ["block", "params", "macs", "vsParams", "vsMacs"].map(function (key) {
        return el("th", {scope: "col", text: t(key)});
      }))]));
      var body = el("tbody");
      rows.forEach(function (r) {
        body.append(el("tr", {"data-block": r[0]}, [
          el("th", {scope: "row", text: t(r[0])}),
          el("td", {"data-role": "params", text: fmt(r[1])}),
          el("td", {"data-role": "macs", text: fmt(r[2])}),
          el("td", {"data-role": "params-ratio", text: (rows[0][1] / r[1]).toFixed(2) + "×"}),
          el("td", {"data-role": "macs-ratio", text: (rows[0][2] / r[2]).toFixed(2) + "×"})
        ]));
      });
      table.append(body);
      f.results.append(table);
    }
    update();
    return f.box;
  }

  // ------------------------------------------------------------------ start
  var BUILDERS = {"conv-arithmetic": buildConv, "dilation": buildDilation, "net-length": buildNet,
                  "block-cost": buildCost};

  function start() {
    L = LABELS[language()];
    document.querySelectorAll(".ghostedu-explorer").forEach(function (root) {
      var build = BUILDERS[root.getAttribute("data-explorer")];
      if (!build || root.getAttribute("data-built")) return;
      var widget = build(root, JSON.parse(root.getAttribute("data-config")));
      root.replaceChildren(widget);  // the note and the static table give way to the widget
      root.setAttribute("data-built", "1");
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
