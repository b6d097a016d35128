#!/usr/bin/env node
// A kafkajs consumer-group member for the group tests; same options and JSON lines as
// ../python/group_cli.py. kafkajs 2.2.4 is eager only (range or roundrobin assigners, no static
// membership). It reports neither revocations nor generations, so ConsumerGroup.joinAndSync is
// wrapped: entering it gives up every partition (kafkajs rejoins only after its message handler
// returned), leaving it reports the new assignment with the generation the group returned.
'use strict'
const { parseArgs } = require('node:util')
const { Kafka, logLevel, AssignerProtocol, PartitionAssigners } = require('kafkajs')
const ConsumerGroup = require('kafkajs/src/consumer/consumerGroup')

const emit = obj => process.stdout.write(JSON.stringify({ t: Date.now(), ...obj }) + '\n')

const { values: a } = parseArgs({
  options: {
    bootstrap: { type: 'string' },
    group: { type: 'string' },
    topic: { type: 'string' },
    'session-timeout-ms': { type: 'string', default: '6000' },
    strategy: { type: 'string', default: 'range' },
    'instance-id': { type: 'string' },
    reset: { type: 'string', default: 'earliest' },
  },
})
if (a['instance-id'] || a.strategy === 'cooperative-sticky') {
  process.stderr.write('unsupported: kafkajs 2.2.4 has no static membership or cooperative protocol\n')
  process.exit(64)
}

const partitionsOf = group => group.assigned().flatMap(({ partitions }) => partitions).sort((x, y) => x - y)
const joinAndSync = ConsumerGroup.prototype.joinAndSync
let current = null
ConsumerGroup.prototype.joinAndSync = async function () {
  if (this.subscriptionState && this.generationId !== null) {
    emit({ ev: 'revoke', parts: partitionsOf(this), incremental: false })
  }
  current = this
  const result = await joinAndSync.call(this)
  emit({ ev: 'assign', gen: this.generationId, parts: partitionsOf(this), incremental: false })
  return result
}

async function main () {
  const sessionTimeout = Number(a['session-timeout-ms'])
  const kafka = new Kafka({ clientId: 'kafkajs-group-member', brokers: [a.bootstrap], logLevel: logLevel.NOTHING })
  const assigner = a.strategy === 'roundrobin' ? PartitionAssigners.roundRobin : rangeAssigner
  const consumer = kafka.consumer({
    groupId: a.group, sessionTimeout, heartbeatInterval: Math.max(100, Math.floor(sessionTimeout / 6)),
    partitionAssigners: [assigner], retry: { retries: 30 }, maxWaitTimeInMs: 500,
  })
  let stopping = false
  let inFlight = Promise.resolve()
  await consumer.connect()
  await consumer.subscribe({ topics: [a.topic], fromBeginning: a.reset === 'earliest' })
  await consumer.run({
    autoCommit: false,
    eachMessage: ({ topic, partition, message }) => {
      // Not printed, so the next owner reading it again is no duplicate.
      if (stopping) return Promise.resolve()
      inFlight = handle(topic, partition, message)
      return inFlight
    },
  })
  async function handle (topic, partition, message) {
    const o = Number(message.offset)
    emit({ ev: 'rec', p: partition, o, v: message.value.toString() })
    try {
      await consumer.commitOffsets([{ topic, partition, offset: String(o + 1) }])
      emit({ ev: 'commit', p: partition, o: o + 1 })
    } catch (e) {
      emit({ ev: 'commit-failed', p: partition, o: o + 1, error: String(e && e.message) })
      throw e
    }
  }
  process.stdin.resume()
  process.stdin.on('end', async () => {
    stopping = true
    await inFlight.catch(() => {})
    // Consuming stopped here: the partitions are given up before disconnect() sends LeaveGroup.
    if (current) emit({ ev: 'revoke', parts: partitionsOf(current), incremental: false })
    await consumer.disconnect()
    emit({ ev: 'closed' })
    process.exit(0)
  })
}

// kafkajs ships only roundrobin; range as Kafka's RangeAssignor: per topic, consecutive partition
// ranges to the members sorted by id, the first members taking one more when it does not divide.
function rangeAssigner ({ cluster }) {
  return {
    name: 'range',
    version: 0,
    async assign ({ members, topics }) {
      const ids = members.map(m => m.memberId).sort()
      const plan = Object.fromEntries(ids.map(id => [id, {}]))
      for (const topic of topics) {
        const partitions = cluster.findTopicPartitionMetadata(topic).map(p => p.partitionId).sort((x, y) => x - y)
        const per = Math.floor(partitions.length / ids.length)
        const extra = partitions.length % ids.length
        let next = 0
        ids.forEach((id, i) => {
          const n = per + (i < extra ? 1 : 0)
          plan[id][topic] = partitions.slice(next, next + n)
          next += n
        })
      }
      return ids.map(memberId => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: plan[memberId], userData: Buffer.alloc(0) }),
      }))
    },
    protocol ({ topics }) {
      return { name: 'range', metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) }
    },
  }
}

main().catch(e => { process.stderr.write(`failed: ${e && e.stack}\n`); process.exit(1) })
