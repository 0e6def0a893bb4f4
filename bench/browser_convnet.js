// The browser half of bench/browser_convnet.py: the lab's default ConvNet in TensorFlow.js (the global `tf`
// from tf.min.js), trained the way a page would train it, one model.trainOnBatch at a time.

const L2 = 1e-4; // the lab's rate of its ½·rate·Σw² penalty; tf.regularizers.l2 adds rate·Σw², so half of it

/** The lab's default network (backend/engine/convnet, ConvConfig()): two 3 × 3 'same' convolutions of 8 and
 * 16 filters, each with relu and 2 × 2 max pooling, a dense layer of 32 relu units and a softmax over 10;
 * He init (He et al. 2015), L2 on the weights only, Adam with learning rate 0.01. */
function defaultNetwork(side, classes) {
  const regularizer = () => tf.regularizers.l2({ l2: L2 / 2 });
  const common = { activation: "relu", kernelInitializer: "heNormal", kernelRegularizer: regularizer() };
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [side, side, 1], filters: 8, kernelSize: 3, padding: "same", ...common }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: "same", ...common }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 32, ...common }),
      tf.layers.dense({ units: classes, activation: "softmax", kernelInitializer: "heNormal",
                        kernelRegularizer: regularizer() }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.01), loss: "categoricalCrossentropy", metrics: [] });
  return model;
}

/** What the backend runs on, for the table: WebGL's renderer. */
function backendDetail(name) {
  if (name === "webgl") {
    const gl = document.createElement("canvas").getContext("webgl2");
    const info = gl && gl.getExtension("WEBGL_debug_renderer_info");
    return info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : "renderer unknown";
  }
  return "plain JavaScript";
}

/** Train on `backend` and time it: the median over `repeats` of `steps` mini-batches of `batch`, after
 * `warmup` untimed ones (WebGL compiles its shaders then). Resolves to { error } where the backend cannot
 * start or train. images: the training images flattened (n·side·side), labels: their classes. */
window.measure = async function (backend, images, labels, side, classes, batch, steps, repeats, warmup) {
  if (!(await tf.setBackend(backend).catch(() => false))) {
    return { error: `${backend} did not start (this tf.min.js has ${Object.keys(tf.engine().registryFactory)})` };
  }
  try {
    return await train(backend, images, labels, side, classes, batch, steps, repeats, warmup);
  } catch (error) {
    return { error: String(error.message || error).split("\n")[0] };
  }
};

async function train(backend, images, labels, side, classes, batch, steps, repeats, warmup) {
  const model = defaultNetwork(side, classes);
  const n = labels.length;
  const order = tf.util.createShuffledIndices(n);
  const batches = [];
  for (let start = 0; start + batch <= n; start += batch) {  // the full batches of one shuffled epoch
    const picked = Array.from(order.slice(start, start + batch));
    const x = tf.tensor4d(picked.flatMap((i) => images.slice(i * side * side, (i + 1) * side * side)),
                          [batch, side, side, 1]);
    batches.push([x, tf.oneHot(tf.tensor1d(picked.map((i) => labels[i]), "int32"), classes)]);
  }
  let step = 0;
  const run = async (count) => {
    for (let i = 0; i < count; i++, step++) await model.trainOnBatch(...batches[step % batches.length]);
  };
  await run(warmup);
  const seconds = [];
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    await run(steps);
    seconds.push((performance.now() - start) / 1000);
  }
  const loss = await model.evaluate(...batches[0]).data();
  return { seconds, detail: backendDetail(backend), parameters: model.countParams(), loss: loss[0] };
}
