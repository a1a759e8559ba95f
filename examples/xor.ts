/**
 * XOR: the smallest problem a linear model cannot solve and a one-hidden-layer
 * MLP can. Run: npm run xor
 */
import { Dense, Sequential, SGD, Tensor } from "tinymlp";
import { cli } from "./cli.js";

cli(
  `XOR with a one-hidden-layer MLP (8 tanh units, SGD momentum, 300 epochs).

Usage: npm run xor

  --help   this text

Takes under a second.`,
  {},
);

const x = Tensor.from([
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
]);
const y = Tensor.from([[0], [1], [1], [0]]);

const model = new Sequential({ inputShape: [2], seed: 1 });
model.add(new Dense({ units: 8, activation: "tanh" }));
model.add(new Dense({ units: 1 }));
model.compile({
  optimizer: new SGD({ lr: 0.2, momentum: 0.9 }),
  loss: { name: "binaryCrossEntropy", fromLogits: true },
  metrics: ["accuracy"],
});
console.log(model.summary());

const history = await model.fit(x, y, { epochs: 300, batchSize: 4 });
const h = history.history;
console.log(`loss: ${h.loss?.[0]?.toFixed(4)} (epoch 1) → ${h.loss?.at(-1)?.toFixed(4)} (epoch 300)`);
const p = model.predictProba(x);
for (let i = 0; i < 4; i++) {
  console.log(`${x.get(i, 0)} xor ${x.get(i, 1)} = ${y.get(i, 0)}   p(1) = ${p.get(i, 0).toFixed(3)}`);
}
console.log(`accuracy: ${(h.accuracy?.at(-1) ?? 0) * 100}%`);
