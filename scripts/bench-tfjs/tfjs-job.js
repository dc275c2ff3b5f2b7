// The benchmark job in TensorFlow.js: 784-128-64-10 ReLU/softmax, SGD 0.1, batch 64,
// epochs over the 10k training images of mnist-10k, then the 10k test images.
// Data come as raw uint8 files written by scripts/bench_browser.py. The query
// string picks the backend (?backend=wasm|webgl|cpu&epochs=N).
async function loadBytes(name) {
  const response = await fetch(name);
  if (!response.ok) throw new Error(`${name}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function run() {
  const query = new URLSearchParams(location.search);
  const backend = query.get("backend") || "wasm";
  const epochs = Number(query.get("epochs") || 2);
  if (backend === "wasm") tf.wasm.setWasmPaths(new URL("./", location.href).href);
  await tf.setBackend(backend);
  await tf.ready();
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all(
    ["train_images.u8", "train_labels.u8", "test_images.u8", "test_labels.u8"].map(loadBytes));
  const toInputs = (bytes) => tf.tensor2d(Float32Array.from(bytes, (v) => v / 255), [bytes.length / 784, 784]);
  const x = toInputs(trainImages);
  const y = tf.oneHot(tf.tensor1d(Int32Array.from(trainLabels), "int32"), 10);
  const xTest = toInputs(testImages);

  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [784], units: 128, activation: "relu", kernelInitializer: "heNormal" }));
  model.add(tf.layers.dense({ units: 64, activation: "relu", kernelInitializer: "heNormal" }));
  model.add(tf.layers.dense({ units: 10, activation: "softmax", kernelInitializer: "heNormal" }));
  model.compile({ optimizer: tf.train.sgd(0.1), loss: "categoricalCrossentropy", metrics: ["accuracy"] });

  const epochSeconds = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    const started = performance.now();
    await model.fit(x, y, { epochs: 1, batchSize: 64, shuffle: true, verbose: 0 });
    epochSeconds.push((performance.now() - started) / 1000);
  }
  // Warm up: the first prediction of a shape sets up its kernels; the app's timed evaluations
  // are warm too (the best epoch's is reported).
  tf.tidy(() => model.predict(xTest).argMax(-1).dataSync());
  const evalStarted = performance.now();
  const predicted = tf.tidy(() => model.predict(xTest).argMax(-1));
  const labels = await predicted.data();
  const evalSeconds = (performance.now() - evalStarted) / 1000;
  let correct = 0;
  for (let i = 0; i < labels.length; i++) correct += labels[i] === testLabels[i] ? 1 : 0;
  window.benchResult = { backend: tf.getBackend(), epochSeconds, evalSeconds, testAccuracy: correct / labels.length };
}

run().catch((error) => { window.benchResult = { error: String(error && error.stack || error) }; });
