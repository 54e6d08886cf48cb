// Runs the official client libraries against a running `rwkv-emb serve`; prints one JSON line of what each returned.
// Usage: node clients.mjs BASE_URL API_KEY   (the xunit test RealClientTests starts the server and checks the output)
import OpenAI, { BadRequestError, AuthenticationError } from "openai";
import { CohereClient, CohereClientV2 } from "cohere-ai";
import { InferenceClient } from "@huggingface/inference";
import { OpenAIEmbeddings } from "@langchain/openai";
import { HuggingFaceInferenceEmbeddings } from "@langchain/community/embeddings/hf";

const [base, key] = process.argv.slice(2);
const out = {};

const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: key, maxRetries: 0 });
const floats = await openai.embeddings.create({ model: "tiny", input: ["hello", "world"], encoding_format: "float" });
out.openaiFloat = floats.data.map((d) => d.embedding);
const b64 = await openai.embeddings.create({ model: "tiny", input: "hello" }); // the SDK asks for base64 and decodes it
out.openaiDefault = b64.data[0].embedding;
out.openaiModels = (await openai.models.list()).data.map((m) => m.id);
try {
  await openai.embeddings.create({ model: "tiny", input: "x", encoding_format: "hex" });
  out.openaiBadRequest = "no error";
} catch (e) {
  out.openaiBadRequest = e instanceof BadRequestError ? `BadRequestError ${e.status} ${e.type} ${e.param}` : `${e.constructor.name} ${e.status}`;
}
try {
  await new OpenAI({ baseURL: `${base}/v1`, apiKey: "wrong", maxRetries: 0 }).embeddings.create({ model: "tiny", input: "x" });
  out.openaiAuth = "no error";
} catch (e) {
  out.openaiAuth = e instanceof AuthenticationError ? `AuthenticationError ${e.status} ${e.code}` : `${e.constructor.name} ${e.status}`;
}

const docs = ["The EOS token marks the end of a sentence.", "Apples are red."];
const v1 = await new CohereClient({ token: key, environment: base }).rerank({ query: "end of sequence", documents: docs, topN: 2 });
out.cohereV1 = v1.results.map((r) => [r.index, r.relevanceScore]);
const v2 = await new CohereClientV2({ token: key, environment: base }).rerank({ model: "tiny", query: "end of sequence", documents: docs, topN: 1 });
out.cohereV2 = v2.results.map((r) => [r.index, r.relevanceScore]);

const hf = new InferenceClient(key);
out.hfBaseUrl = await hf.featureExtraction({ endpointUrl: base, inputs: "hello" });

// LangChain: OpenAIEmbeddings at /v1, and the HuggingFace (TEI) embeddings class at the base URL.
const lcOpenAI = new OpenAIEmbeddings({ model: "tiny", apiKey: key, configuration: { baseURL: `${base}/v1` }, maxRetries: 0 });
out.langchainOpenAIDocuments = await lcOpenAI.embedDocuments(["hello", "world"]);
out.langchainOpenAIQuery = await lcOpenAI.embedQuery("hello");
const lcHf = new HuggingFaceInferenceEmbeddings({ apiKey: key, model: "tiny", endpointUrl: base, maxRetries: 0 });
out.langchainHfDocuments = await lcHf.embedDocuments(["hello", "world"]);
out.langchainHfQuery = await lcHf.embedQuery("hello");

console.log(JSON.stringify(out));
