#!/usr/bin/env node
// kafkajs, driven by the compatibility tests. Same commands and JSON-lines output as
// ../python/compat_cli.py: kafkajs_client.js --bootstrap HOST:PORT <command> [options].
// kafkajs has no assign(): consume joins a throwaway consumer group and seeks, so it needs the
// broker's group coordinator. Only gzip is built in; snappy, lz4 and zstd need codec packages
// that are not installed, so those exit UNSUPPORTED (64).
'use strict'
const { parseArgs } = require('node:util')
const { randomUUID } = require('node:crypto')
const { Kafka, CompressionTypes, ConfigResourceTypes, Partitioners, logLevel } = require('kafkajs')

const UNSUPPORTED = 64
const emit = obj => process.stdout.write(JSON.stringify(sortKeys(obj)) + '\n')
const sortKeys = obj => Object.fromEntries(Object.keys(obj).sort().map(k => [k, obj[k]]))
class Failure extends Error { constructor (message, code = 1) { super(message); this.code = code } }
const unsupported = what => { throw new Failure(`unsupported: ${what}`, UNSUPPORTED) }
const text = b => (b === null || b === undefined ? null : b.toString('utf8'))
const record = (i, prefix) => ({ key: `${prefix}key-${i}`, value: `${prefix}value-${i}`, headers: { index: String(i) } })

const USAGE = `usage: kafkajs_client.js --bootstrap HOST:PORT [--timeout-ms MS] <command> [options]
commands: create-topic --topic T [--partitions N] [--replication-factor R] [--config k=v]...
          delete-topic --topic T
          produce --topic T --count N [--start I] [--partition P] [--codec none|gzip] [--acks all|1|0] [--prefix S]
          consume --topic T --partition P --offset O --count N
          list-offsets --topic T --timestamp earliest|latest|MS
          alter-config --topic T --config k=v [--config k=v]...
          describe-config --topic T [--name N]...
          delete-records --topic T --partition P --before-offset O
          reassign --topic T --partition P --replicas B1,B2,...
          list-reassignments`

function parse (argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      bootstrap: { type: 'string' },
      'timeout-ms': { type: 'string', default: '30000' },
      topic: { type: 'string' },
      partitions: { type: 'string', default: '1' },
      'replication-factor': { type: 'string', default: '1' },
      config: { type: 'string', multiple: true, default: [] },
      count: { type: 'string' },
      start: { type: 'string', default: '0' },
      partition: { type: 'string' },
      codec: { type: 'string', default: 'none' },
      acks: { type: 'string', default: 'all' },
      prefix: { type: 'string', default: '' },
      offset: { type: 'string' },
      timestamp: { type: 'string' },
      name: { type: 'string', multiple: true, default: [] },
      'before-offset': { type: 'string' },
      replicas: { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  if (values.help) { console.log(USAGE); process.exit(0) }
  if (!values.bootstrap || positionals.length !== 1) throw new Failure(USAGE, 2)
  const int = name => {
    const v = values[name]
    if (v === undefined) throw new Failure(`--${name} is required`, 2)
    if (!/^-?\d+$/.test(v)) throw new Failure(`--${name} must be an integer`, 2)
    return Number(v)
  }
  const configs = values.config.map(c => {
    const i = c.indexOf('=')
    if (i <= 0) throw new Failure(`expected name=value, got ${c}`, 2)
    return { name: c.slice(0, i), value: c.slice(i + 1) }
  })
  return { command: positionals[0], values, int, configs, timeout: int('timeout-ms') }
}

async function withAdmin (kafka, fn) {
  const admin = kafka.admin()
  await admin.connect()
  try { return await fn(admin) } finally { await admin.disconnect() }
}

const commands = {
  'create-topic': (kafka, a) => withAdmin(kafka, async admin => {
    const created = await admin.createTopics({
      waitForLeaders: true,
      timeout: a.timeout,
      topics: [{ topic: a.values.topic, numPartitions: a.int('partitions'), replicationFactor: a.int('replication-factor'), configEntries: a.configs }]
    })
    if (!created) throw new Failure(`topic ${a.values.topic} already exists`)
    emit({ topic: a.values.topic, created: true })
  }),

  'delete-topic': (kafka, a) => withAdmin(kafka, async admin => {
    await admin.deleteTopics({ topics: [a.values.topic], timeout: a.timeout })
    emit({ topic: a.values.topic, deleted: true })
  }),

  produce: async (kafka, a) => {
    const compression = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP }[a.values.codec]
    if (compression === undefined) unsupported(`codec ${a.values.codec} (needs a kafkajs codec package)`)
    const acks = { all: -1, 1: 1, 0: 0 }[a.values.acks]
    const start = a.int('start')
    const count = a.int('count')
    const topic = a.values.topic
    let messages = []
    for (let i = start; i < start + count; i++) messages.push(record(i, a.values.prefix))
    if (a.values.partition !== undefined) {
      const partition = a.int('partition')
      messages = messages.map(m => ({ ...m, partition }))
    } else {
      // Place each record up front with the default partitioner (murmur2 of the key, as send() would)
      // so that every record's partition, and so its offset, is known.
      const meta = await withAdmin(kafka, admin => admin.fetchTopicMetadata({ topics: [topic] }))
      const partitionMetadata = meta.topics[0].partitions
      const choose = Partitioners.DefaultPartitioner()
      messages = messages.map(m => ({ ...m, partition: choose({ topic, partitionMetadata, message: m }) }))
    }
    const producer = kafka.producer()
    await producer.connect()
    try {
      const results = await producer.send({ topic, acks, timeout: a.timeout, compression, messages })
      // One send: each partition got one batch, so its records have consecutive offsets in send order.
      const next = new Map(results.map(r => [r.partition, BigInt(r.baseOffset ?? '-1')]))
      for (const m of messages) {
        const offset = next.get(m.partition) // none with acks=0
        emit({ partition: m.partition, offset: offset === undefined ? -1 : Number(offset), key: m.key })
        if (offset !== undefined) next.set(m.partition, offset + 1n)
      }
    } finally { await producer.disconnect() }
  },

  consume: async (kafka, a) => {
    const topic = a.values.topic
    const partition = a.int('partition')
    const offset = a.int('offset')
    const count = a.int('count')
    const consumer = kafka.consumer({ groupId: `compat-${randomUUID()}` })
    await consumer.connect()
    let got = 0
    let finish
    const done = new Promise(resolve => { finish = resolve })
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true })
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition: p, message: m }) => {
          if (p !== partition || Number(m.offset) < offset || got >= count) return
          emit({
            partition: p,
            offset: Number(m.offset),
            timestamp: Number(m.timestamp),
            key: text(m.key),
            value: text(m.value),
            headers: Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, text(v)]))
          })
          if (++got >= count) finish()
        }
      })
      consumer.seek({ topic, partition, offset: String(offset) })
      await Promise.race([done, new Promise(resolve => setTimeout(resolve, a.timeout))])
    } finally { await consumer.disconnect() }
    if (got < count) throw new Failure(`consumed ${got} of ${count} records`)
  },

  'list-offsets': (kafka, a) => withAdmin(kafka, async admin => {
    const ts = a.values.timestamp
    if (ts === undefined) throw new Failure('--timestamp is required', 2)
    let rows
    if (ts === 'earliest' || ts === 'latest') {
      rows = (await admin.fetchTopicOffsets(a.values.topic))
        .map(o => ({ partition: o.partition, offset: Number(ts === 'earliest' ? o.low : o.high) }))
    } else {
      rows = (await admin.fetchTopicOffsetsByTimestamp(a.values.topic, a.int('timestamp')))
        .map(o => ({ partition: o.partition, offset: Number(o.offset) }))
    }
    rows.sort((x, y) => x.partition - y.partition).forEach(emit)
  }),

  'alter-config': (kafka, a) => withAdmin(kafka, async admin => {
    // Non-incremental AlterConfigs: configs not named here return to their defaults.
    await admin.alterConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: a.values.topic, configEntries: a.configs }] })
    emit({ topic: a.values.topic, altered: Object.fromEntries(a.configs.map(c => [c.name, c.value])) })
  }),

  'describe-config': (kafka, a) => withAdmin(kafka, async admin => {
    const names = a.values.name
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: a.values.topic, ...(names.length ? { configNames: names } : {}) }]
    })
    for (const r of resources) {
      if (r.errorCode !== 0) throw new Failure(`describeConfigs: ${r.errorCode} ${r.errorMessage}`)
      r.configEntries
        .slice().sort((x, y) => (x.configName < y.configName ? -1 : 1))
        .forEach(e => emit({ name: e.configName, value: e.configValue }))
    }
  }),

  // AlterPartitionReassignments: kafkajs sends it to the controller broker of its metadata.
  reassign: (kafka, a) => withAdmin(kafka, async admin => {
    const topic = a.values.topic
    const partition = a.int('partition')
    if (!a.values.replicas) throw new Failure('--replicas is required', 2)
    const replicas = a.values.replicas.split(',').map(Number)
    await admin.alterPartitionReassignments({ topics: [{ topic, partitionAssignment: [{ partition, replicas }] }], timeout: a.timeout })
    emit({ topic, partition, replicas })
  }),

  'list-reassignments': (kafka, a) => withAdmin(kafka, async admin => {
    const { topics } = await admin.listPartitionReassignments({ timeout: a.timeout })
    for (const t of topics) {
      for (const p of t.partitions) {
        emit({ topic: t.name, partition: p.partition, replicas: p.replicas, adding: p.addingReplicas, removing: p.removingReplicas })
      }
    }
  }),

  'delete-records': (kafka, a) => withAdmin(kafka, async admin => {
    const partition = a.int('partition')
    // deleteTopicRecords looks the leader up before loading metadata; fetchTopicOffsets loads it.
    await admin.fetchTopicOffsets(a.values.topic)
    await admin.deleteTopicRecords({ topic: a.values.topic, partitions: [{ partition, offset: String(a.int('before-offset')) }] })
    const low = (await admin.fetchTopicOffsets(a.values.topic)).find(o => o.partition === partition)
    emit({ partition, low_watermark: Number(low.low) })
  })
}

async function main () {
  const a = parse(process.argv.slice(2))
  const handler = commands[a.command]
  if (!handler) unsupported(a.command)
  const kafka = new Kafka({
    clientId: 'compat-kafkajs',
    brokers: [a.values.bootstrap],
    logLevel: logLevel.ERROR,
    connectionTimeout: Math.min(a.timeout, 10000),
    requestTimeout: a.timeout,
    retry: { retries: 3 }
  })
  await handler(kafka, a)
}

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1'
main().catch(e => {
  process.stderr.write(`${e.code === UNSUPPORTED ? '' : 'failed: '}${e.message}\n`)
  process.exit(typeof e.code === 'number' ? e.code : 1)
})
