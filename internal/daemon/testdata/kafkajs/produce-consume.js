// Test helper for internal/daemon: drives kafkalink's SASL/SCRAM listener
// set over TLS with the real kafkajs client. It produces KAFKAJS_COUNT
// messages (default 3) to a topic, consumes them back with a consumer group,
// and prints one JSON object on stdout:
//
//   {"ok":true,"produced":[{"partition":0,"offset":"0"},…],
//    "consumed":[{"partition":0,"offset":"0","key":"k1","value":"v1"},…]}
//
// or, on failure (exit status 1):
//
//   {"ok":false,"stage":"producer.connect","error":{"name":"KafkaJS…","message":"…","type":"…"},
//    "brokerErrors":["…"]}
//
// brokerErrors are the errors of broker responses kafkajs logged, which it
// does not always pass on (a refused FindCoordinator ends as
// KafkaJSGroupCoordinatorNotFound).
//
// Configuration, from the environment:
//   KAFKAJS_BROKERS    host:port,host:port,… (required)
//   KAFKAJS_USER       SCRAM user (required)
//   KAFKAJS_PASSWORD   SCRAM password (required)
//   KAFKAJS_CA         PEM file of the CA that signed the brokers' certificate (required)
//   KAFKAJS_TOPIC      topic (required)
//   KAFKAJS_GROUP      consumer group (default kafkajs-<topic>)
//   KAFKAJS_MECHANISM  scram-sha-512 (default) or scram-sha-256
//   KAFKAJS_COUNT      how many messages (default 3)
//   KAFKAJS_TIMEOUT_MS give up after this long (default 60000)
// Logs go to stderr.
const fs = require("fs");
const { Kafka, logLevel } = require("kafkajs");

function env(name, def) {
  const v = process.env[name];
  if (v === undefined || v === "") {
    if (def === undefined) {
      throw new Error(`${name} is not set`);
    }
    return def;
  }
  return v;
}

let stage = "config";
let done = false;
const brokerErrors = []; // see above

function finish(code, result) {
  if (done) {
    return;
  }
  done = true;
  process.stdout.write(JSON.stringify(result) + "\n", () => process.exit(code));
}

function fail(err) {
  finish(1, {
    ok: false,
    stage,
    error: { name: (err && err.name) || "Error", message: String((err && err.message) || err), type: err && err.type },
    brokerErrors,
  });
}

async function main() {
  const topic = env("KAFKAJS_TOPIC");
  const group = env("KAFKAJS_GROUP", "kafkajs-" + topic);
  const count = Number(env("KAFKAJS_COUNT", "3"));
  const timeoutMs = Number(env("KAFKAJS_TIMEOUT_MS", "60000"));
  setTimeout(() => fail(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs).unref();

  const kafka = new Kafka({
    clientId: "kafkalink-test-kafkajs",
    brokers: env("KAFKAJS_BROKERS").split(","),
    ssl: { ca: [fs.readFileSync(env("KAFKAJS_CA"), "utf8")] },
    sasl: {
      mechanism: env("KAFKAJS_MECHANISM", "scram-sha-512"),
      username: env("KAFKAJS_USER"),
      password: env("KAFKAJS_PASSWORD"),
    },
    connectionTimeout: 10000,
    authenticationTimeout: 10000,
    requestTimeout: 30000,
    retry: { retries: 5 },
    logLevel: logLevel.WARN,
    logCreator: () => ({ namespace, level, label, log }) => {
      if (level <= logLevel.ERROR && log.error && !brokerErrors.includes(log.error)) {
        brokerErrors.push(log.error);
      }
      process.stderr.write(`${label} [${namespace}] ${JSON.stringify(log)}\n`);
    },
  });

  const producer = kafka.producer({ allowAutoTopicCreation: false });
  stage = "producer.connect";
  await producer.connect();
  stage = "producer.send";
  const messages = [];
  for (let i = 1; i <= count; i++) {
    messages.push({ key: `k${i}`, value: `kafkajs-${i}` });
  }
  const meta = await producer.send({ topic, acks: -1, messages });
  const produced = meta.map((m) => ({ partition: m.partition, offset: m.baseOffset, errorCode: m.errorCode }));
  stage = "producer.disconnect";
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: group, allowAutoTopicCreation: false });
  stage = "consumer.connect";
  await consumer.connect();
  stage = "consumer.subscribe";
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const consumed = [];
  stage = "consumer.run";
  await new Promise((resolve, reject) => {
    consumer.on(consumer.events.CRASH, (e) => reject(e.payload.error));
    consumer
      .run({
        eachMessage: async ({ partition, message }) => {
          consumed.push({
            partition,
            offset: message.offset,
            key: message.key && message.key.toString(),
            value: message.value && message.value.toString(),
          });
          if (consumed.length >= count) {
            resolve();
          }
        },
      })
      .catch(reject);
  });
  stage = "consumer.disconnect";
  await consumer.disconnect();
  finish(0, { ok: true, produced, consumed });
}

main().catch(fail);
