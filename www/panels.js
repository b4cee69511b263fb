// The markup of every panel of the explainer, written once: the demo page (app.js) and
// the <lrp-explainer> widget (lrp-explainer.js) both render it, and explainer.js runs
// it, so there is one implementation of each panel. A panel not chosen is rendered
// hidden, so the code behind the panels never has to ask whether an element is there.

/** Every panel, by the name the widget's `panels` attribute uses. */
export const PANELS = ["settings", "draw", "gallery", "heatmap", "answer", "removal", "layers", "concepts", "compare", "evaluate"];

/** What each layout shows unless `panels` says otherwise. */
export const LAYOUTS = {
  full: PANELS,
  compact: ["draw", "heatmap"],
};

const MARKUP = {
  settings: `
<section data-panel="settings" class="settings" aria-label="Settings">
  <div class="setting">
    <div id="dataset-field" class="field" hidden>
      <label for="dataset">Data set</label>
      <select id="dataset"></select>
    </div>
    <h2><label for="model">Network</label></h2>
    <select id="model"></select>
    <p id="model-card" class="hint"></p>
    <div class="field own-model">
      <label for="model-files">Your own network:</label>
      <input type="file" id="model-files" accept=".json,.safetensors,application/json" multiple
        aria-describedby="model-files-hint">
    </div>
    <p id="model-files-hint" class="hint">its <code>.json</code> and <code>.safetensors</code> files, written by
      <code>export/lrp_export.py</code> from PyTorch (or drop them on the page). They are read here; nothing is sent anywhere.</p>
    <p id="model-files-status" class="hint" role="status"></p>
  </div>
  <div class="setting method">
    <h2><label for="method">Explanation method</label></h2>
    <select id="method"></select>
    <p id="method-about" class="hint"></p>
    <p id="method-layers" class="hint" hidden></p>
    <fieldset id="custom-layers" hidden>
      <legend>A rule for each layer, from the pixels up</legend>
      <div class="rows"></div>
    </fieldset>
    <div id="params" class="params"></div>
    <p id="tuned" class="hint" hidden><button type="button" id="use-tuned" class="link"></button>
      <span id="tuned-why"></span></p>
    <p id="params-none" class="hint muted">This method has no parameters to tune.</p>
  </div>
  <div class="setting">
    <h2>What to explain</h2>
    <div class="field">
      <label for="target">Why the network would say</label>
      <select id="target"></select>
    </div>
    <div class="field">
      <label for="output">starting from</label>
      <select id="output">
        <option value="score">its output score</option>
        <option value="one-hot">a relevance of 1</option>
      </select>
    </div>
    <div class="field">
      <input type="checkbox" id="zero-bias">
      <label for="zero-bias">treat the biases as 0</label>
    </div>
    <p class="hint">The relevance put on the output is handed back to the pixels. With the
      score, the heatmap's total is about the score; with 1, it is about 1 for every input.</p>
  </div>
</section>`,
  draw: `
<section data-panel="draw" class="panel draw" aria-labelledby="draw-title">
  <h2 id="draw-title"><span class="step">1</span> <span id="draw-words">Draw a digit</span></h2>
  <div id="pad-box">
    <canvas id="pad" width="280" height="280" aria-describedby="pad-hint"
      aria-label="Drawing pad: draw one digit with the mouse, a finger or a pen"></canvas>
    <div class="buttons">
      <button type="button" id="undo" aria-keyshortcuts="Control+Z">Undo</button>
      <button type="button" id="clear">Clear</button>
    </div>
  </div>
  <p id="pad-hint" class="hint" aria-live="polite">Draw one digit here with the mouse, a finger or a pen,
    or pick a test digit below.</p>
  <div class="buttons picture">
    <label class="file-button"><input type="file" id="picture-file" accept="image/*"> <span id="picture-words">Photo of a digit on paper…</span></label>
    <button type="button" id="camera">Camera</button>
  </div>
  <p id="picture-status" class="hint" role="status"></p>
  <div id="camera-box" hidden>
    <video id="camera-view" playsinline muted aria-label="the camera's picture"></video>
    <div class="buttons">
      <button type="button" id="camera-shoot">Use this picture</button>
      <button type="button" id="camera-stop">Close the camera</button>
    </div>
  </div>
  <figure class="seen">
    <canvas id="input" width="28" height="28" role="img" aria-label="the network's input: empty"></canvas>
    <figcaption id="seen-caption"><strong>What the network sees:</strong> 28×28 grey levels. As in MNIST, your
      ink is cropped, scaled to fit 20×20 and centred by its mass.</figcaption>
  </figure>
</section>`,
  heatmap: `
<section data-panel="heatmap" class="panel heat" aria-labelledby="heat-title">
  <h2 id="heat-title"><span class="step">2</span> Why?<span class="long"> The relevance of each pixel</span></h2>
  <p id="heat-caption" class="caption">&nbsp;</p>
  <p id="heat-note" class="hint note-why" hidden></p>
  <canvas id="heatmap" width="280" height="280" role="img" aria-label="relevance heatmap: nothing to show yet"></canvas>
  <div class="colourbar" aria-hidden="true">
    <span id="bar-min">−</span>
    <canvas id="colourbar" width="256" height="1"></canvas>
    <span id="bar-max">+</span>
  </div>
  <p class="colourbar-words" aria-hidden="true"><span id="word-against">against</span><span>0</span><span id="word-for">for</span></p>
  <p id="bar-text" class="visually-hidden"></p>
  <div class="field">
    <label for="opacity">heatmap opacity</label>
    <input type="range" id="opacity" min="0" max="1" step="0.05" value="0.85">
  </div>
  <div class="field">
    <label for="cmap">colours</label>
    <select id="cmap"></select>
  </div>
  <div class="downloads" role="group" aria-label="downloads">
    <span>Download:</span>
    <button type="button" id="download-png" disabled title="the heatmap with its colour bar">heatmap (PNG)</button>
    <button type="button" id="download-csv" disabled title="one row per pixel: row, column, input, relevance">relevance (CSV)</button>
    <button type="button" id="download-json" disabled title="everything: settings, outputs, relevance per pixel and per layer">all (JSON)</button>
  </div>
</section>`,
  answer: `
<section data-panel="answer" class="panel answer" aria-labelledby="answer-title">
  <h2 id="answer-title"><span class="step">3</span> The<span class="long"> network's</span> answer</h2>
  <p id="loading" class="loading">Loading the networks…</p>
  <div id="prediction" data-prediction="" aria-live="polite">
    <span class="digit">–</span>
    <span class="words">draw a digit</span>
  </div>
  <p id="confidence" class="hint"></p>
  <ol id="probabilities" aria-label="probability of each digit; choose one to explain it"></ol>
  <p id="bars-hint" class="hint">Bars: how likely each digit is (softmax of the scores). The framed digit is the one
    explained; <strong>click a digit</strong> to ask why the network would (not) say it.</p>
  <button type="button" id="back-to-predicted" class="link" hidden>back to explaining the predicted digit</button>
  <div id="others" class="others"></div>
</section>`,
  removal: `
<section data-panel="removal" id="removal" class="panel removal below" aria-labelledby="removal-title" data-complete="false">
  <h2 id="removal-title"><span class="step">4</span> Do these pixels carry the decision? Remove them</h2>
  <p class="hint">The test of the poster this tool started from: remove the pixels the heatmap ranks highest and
    watch the network's answer. If the heatmap is right, the answer collapses fast; removed least relevant first,
    or in a random order, it should hold. <strong>Confidence</strong> is the poster's (max − 2nd max) ÷ max of the
    probabilities.</p>
  <div class="removal-controls">
    <div class="field">
      <label for="removal-order">remove the pixels</label>
      <select id="removal-order"></select>
    </div>
    <div class="field">
      <label for="removal-fill">and set them to</label>
      <select id="removal-fill">
        <option value="zero">black (0, the background)</option>
        <option value="road">their neighbours' mean (ROAD)</option>
        <option value="blur">a blur of the digit</option>
      </select>
    </div>
    <div class="field removal-slider">
      <label for="removal-k">pixels removed</label>
      <input type="range" id="removal-k" min="0" max="250" value="0" step="1">
      <output id="removal-k-value" for="removal-k">0</output>
    </div>
  </div>
  <div class="removal-body">
    <figure class="removal-seen">
      <canvas id="removal-input" width="28" height="28" role="img" aria-label="the input with the pixels removed"></canvas>
      <figcaption>what the network sees now</figcaption>
    </figure>
    <div class="removal-answer">
      <p id="removal-verdict" aria-live="polite"></p>
      <p id="removal-confidence" class="hint"></p>
      <ol id="removal-probabilities" class="mini-bars"></ol>
    </div>
    <figure class="removal-plot">
      <svg id="removal-curves"></svg>
      <div id="removal-legend" class="legend"></div>
      <figcaption id="removal-figures" class="hint"></figcaption>
    </figure>
  </div>
</section>`,
  status: `
<p id="error" role="alert" hidden></p>
<p id="status" role="status">Loading the networks…</p>`,
  gallery: `
<section data-panel="gallery" class="below" aria-labelledby="gallery-title">
  <h2 id="gallery-title">Real test digits</h2>
  <p id="gallery-hint" class="hint">100 handwritten digits from the MNIST test set, which the networks never saw while
    they learned. Those with a <span class="flag">red corner</span> fool at least one of the three networks.</p>
  <div id="gallery" class="gallery" role="group" aria-label="100 test digits: arrow keys move, Enter or Space picks"></div>
</section>`,
  layers: `
<section data-panel="layers" class="below" aria-labelledby="layers-title">
  <h2 id="layers-title"><span class="step">5</span> How relevance flows back through the layers</h2>
  <p class="hint">The network computes from left to right; LRP goes back from right to left. The
    output's relevance is split among the inputs of each layer, down to the pixels. Each picture is
    the relevance on one stage (feature maps summed over their channels, neurons as bars), with its
    total Σ and the share of the output's total that is still there.</p>
  <div id="flow" class="flow-box" tabindex="0" role="region" aria-label="relevance flow through the layers (scrolls sideways)"></div>
  <div class="books-box" tabindex="0" role="region" aria-label="relevance books of each layer (scrolls sideways)">
    <table id="books">
      <caption></caption>
      <thead>
        <tr>
          <th scope="col">layer</th>
          <th scope="col">rule</th>
          <th scope="col" title="relevance handed to this layer by the one above">arrives from above</th>
          <th scope="col" title="relevance this layer hands to its inputs">passed down</th>
          <th scope="col" title="relevance kept by the biases (they are inputs too, but not pixels)">absorbed by biases</th>
          <th scope="col" title="relevance kept by the stabiliser ε of the denominators">absorbed by stabiliser</th>
          <th scope="col" title="relevance of outputs the rule passes on through none of its groups (γ on an output of exactly 0)">stopped by gates</th>
          <th scope="col" title="passed down ÷ arrived">kept</th>
        </tr>
      </thead>
      <tbody></tbody>
    </table>
  </div>
</section>`,
  concepts: `
<details data-panel="concepts" id="concepts" class="below" data-state="idle">
  <summary><h2><span class="step">6</span> Which filters carry the decision? Concepts</h2></summary>
  <p class="hint">Each channel of a convolution is a filter that looks for one pattern; each neuron of a dense
    layer, one combination. Concept Relevance Propagation (Achtibat et al. 2023) follows the relevance through one
    of them only: the bars rank them by how much of the relevance reaches them on this input; a click shows the
    pixels whose relevance passes through that one, and which channels of the layer below it takes its relevance from.</p>
  <div class="field"><label for="concepts-layer">layer</label><select id="concepts-layer"></select></div>
  <p id="concepts-status" class="hint" role="status"></p>
  <div class="concepts-body">
    <div id="concepts-bars" class="concept-bars" role="group" aria-label="channels ranked by relevance"></div>
    <figure class="concepts-figure">
      <div class="concepts-maps">
        <canvas id="concepts-map" width="168" height="168" role="img" aria-label="heatmap of one channel: pick one"></canvas>
        <canvas id="concepts-full" width="168" height="168" role="img" aria-label="the full heatmap, for comparison"></canvas>
      </div>
      <figcaption id="concepts-map-caption" class="hint">Pick a channel above.</figcaption>
      <div id="concepts-graph" class="hint"></div>
      <div id="concepts-references"></div>
    </figure>
  </div>
</details>`,
  compare: `
<details data-panel="compare" id="compare" class="below" data-complete="false">
  <summary><h2><span class="step">7</span> Compare every method on every network</h2></summary>
  <p class="hint">The current input under each method at its default parameters (custom: your
    rule per layer), with the same digit to explain and starting relevance as above. Each small heatmap has its own scale ±max|R|; under it, the heatmap's total Σ.
    Click one to show it in full above.</p>
  <p class="legend hint"></p>
  <p class="status" role="status"></p>
  <div class="compare-grid"></div>
</details>`,
  evaluate: `
<details data-panel="evaluate" id="evaluate" class="below" data-state="idle">
  <summary><h2><span class="step">8</span> Which method finds the pixels the network uses? Evaluate on many digits</h2></summary>
  <p class="hint">The poster's table, over MNIST test digits: each method ranks each digit's pixels, the pixels are
    removed most relevant first (MoRF), least relevant first (LeRF) and in a random order, 10 per step up to 200,
    and the network's answer is followed. <strong>AOPC</strong> (Samek et al. 2017): the probability of the class
    explained lost on average along the MoRF curve. <strong>SRG</strong>, the symmetric relevance gain (Blücher et
    al. 2024): the mean probability along the LeRF curve minus along the MoRF curve. Higher is better for both.
    <strong>Strongest</strong>: the highest confidence of any digit after k = 50 pixels. Each method at its default
    parameters; the work is spread over background threads and the page stays usable.</p>
  <div class="evaluate-controls">
    <div class="field"><label for="evaluate-model">network</label><select id="evaluate-model"></select></div>
    <div class="field"><label for="evaluate-count">test digits</label>
      <select id="evaluate-count">
        <option value="100">100</option><option value="200" selected>200</option><option value="500">500</option>
        <option value="1000">1,000</option><option value="10000">all 10,000</option>
      </select></div>
    <div class="field"><label for="evaluate-fill">removed pixels set to</label>
      <select id="evaluate-fill">
        <option value="zero">black (0)</option><option value="road">ROAD</option><option value="blur">a blur</option>
      </select></div>
    <fieldset><legend>methods (the random order is always included)</legend><div id="evaluate-methods" class="checks"></div></fieldset>
    <div class="buttons">
      <button type="button" id="evaluate-run">Evaluate</button>
      <button type="button" id="evaluate-stop" disabled>Stop</button>
    </div>
  </div>
  <progress id="evaluate-progress" max="1" value="0" aria-label="evaluation progress"></progress>
  <p id="evaluate-status" role="status" class="hint"></p>
  <div class="evaluate-results">
    <figure class="evaluate-plot">
      <svg id="evaluate-curves"></svg>
      <div id="evaluate-legend" class="legend"></div>
    </figure>
    <div class="table-box" tabindex="0" role="region" aria-label="evaluation table (scrolls sideways)">
      <table id="evaluate-table">
        <caption>Per method, best AOPC first; "after k": after 50 pixels removed most relevant first</caption>
        <thead>
          <tr><th scope="col" rowspan="2">method</th><th scope="colgroup" colspan="4">digits classified correctly</th>
            <th scope="colgroup" colspan="4">digits classified wrongly</th><th scope="col" rowspan="2">flipped after k</th>
            <th scope="col" rowspan="2">AOPC</th><th scope="col" rowspan="2">SRG</th></tr>
          <tr><th scope="col">n</th><th scope="col">confidence</th><th scope="col">after k</th><th scope="col">strongest</th>
            <th scope="col">n</th><th scope="col">confidence</th><th scope="col">after k</th><th scope="col">strongest</th></tr>
        </thead>
        <tbody></tbody>
      </table>
    </div>
  </div>
  <div class="field"><label for="evaluate-means-method">What each network looks at: the mean relevance map of each predicted digit, for</label>
    <select id="evaluate-means-method"></select></div>
  <div id="evaluate-means" class="class-means"></div>
</details>`,
};

/**
 * Writes the explainer into `container` (an element of the page, or a shadow root's
 * wrapper): the stage (settings, pad, heatmap, answer) and the sections under it, with
 * the panels not in `panels` hidden, and `layout` ("full" or "compact") as data-layout.
 */
export function renderPanels(container, { panels = PANELS, layout = "full" } = {}) {
  container.classList.add("explainer");
  container.dataset.layout = layout;
  const stage = ["settings", "draw", "heatmap", "answer"].map((name) => MARKUP[name]).join("\n");
  const below = ["removal", "status", "gallery", "layers", "concepts", "compare", "evaluate"].map((name) => MARKUP[name]).join("\n");
  container.innerHTML = `<div class="stage" id="stage">\n${stage}</div>\n${below}`;
  for (const name of PANELS) container.querySelector(`[data-panel="${name}"]`).hidden = !panels.includes(name);
}
