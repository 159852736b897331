import type { InferenceSession, Tensor } from 'onnxruntime-node';

/*
 * ONNX Runtime (onnxruntime-node, CPU). Its native binding ships inside the package
 * (bin/napi-v*\/linux/x64); pnpm does not run the package's install script, which would only
 * fetch GPU builds. Loaded on first use, so a server that serves no model never maps it.
 */

type Ort = typeof import('onnxruntime-node');
let ort: Promise<Ort> | undefined;

function runtime(): Promise<Ort> {
  ort ??= import('onnxruntime-node');
  return ort;
}

export interface OnnxSignature {
  inputs: { name: string; type: string | null; shape: (number | string)[] | null }[];
  outputs: string[];
}

export interface OnnxSession {
  signature: OnnxSignature;
  /** Runs `rows` × `columns` float32 values through the model; the named output as numbers. */
  run(input: string, output: string, values: Float32Array, rows: number, columns: number): Promise<number[]>;
  release(): Promise<void>;
}

/** A session over the model's bytes; throws (with ONNX Runtime's message) when they do not load. */
export async function loadOnnx(bytes: Uint8Array): Promise<OnnxSession> {
  const { InferenceSession: Session, Tensor: TensorClass } = await runtime();
  // One thread per run: the models are small, and the server's other work shares the cores.
  const session: InferenceSession = await Session.create(bytes, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const signature: OnnxSignature = {
    inputs: session.inputMetadata.map((m) =>
      m.isTensor
        ? { name: m.name, type: m.type, shape: [...m.shape] }
        : { name: m.name, type: null, shape: null },
    ),
    outputs: [...session.outputNames],
  };
  return {
    signature,
    async run(input, output, values, rows, columns) {
      const feeds: Record<string, Tensor> = { [input]: new TensorClass('float32', values, [rows, columns]) };
      const result = await session.run(feeds, [output]);
      const tensor = result[output];
      if (!tensor) throw new Error(`the model produced no output '${output}'`);
      const data = tensor.data;
      if (!(data instanceof Float32Array || data instanceof Float64Array)) {
        throw new Error(`output '${output}' is ${tensor.type}, not a float tensor`);
      }
      if (data.length !== rows) {
        throw new Error(
          `output '${output}' has ${data.length} values for ${rows} rows (shape ${tensor.dims})`,
        );
      }
      return Array.from(data);
    },
    release: () => session.release(),
  };
}
