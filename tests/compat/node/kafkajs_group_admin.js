#!/usr/bin/env node
// Consumer-group admin through kafkajs 2.2.4's admin client, one JSON line per answer:
//   kafkajs_group_admin.js BOOTSTRAP list | describe GROUP... | offsets GROUP TOPIC | set-offsets GROUP TOPIC P=O... | delete GROUP...
// describe decodes each member's assignment and subscription with kafkajs's AssignerProtocol.
// A refused set-offsets or delete prints {"error": TYPE} (kafkajs refuses set-offsets itself
// when DescribeGroups shows a group with members).
'use strict'
const { Kafka, logLevel, AssignerProtocol } = require('kafkajs')

const emit = obj => process.stdout.write(JSON.stringify(obj) + '\n')

async function main () {
  const [bootstrap, command, ...args] = process.argv.slice(2)
  const admin = new Kafka({ clientId: 'kafkajs-group-admin', brokers: [bootstrap], logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  try {
    if (command === 'list') {
      for (const g of (await admin.listGroups()).groups) emit({ group: g.groupId, protocolType: g.protocolType })
    } else if (command === 'describe') {
      for (const g of (await admin.describeGroups(args)).groups) {
        emit({
          group: g.groupId, error: g.errorCode, state: g.state, protocolType: g.protocolType, protocol: g.protocol,
          members: g.members.map(m => ({
            client: m.clientId,
            host: m.clientHost,
            topics: m.memberMetadata.length ? AssignerProtocol.MemberMetadata.decode(m.memberMetadata).topics : [],
            assignment: m.memberAssignment.length ? AssignerProtocol.MemberAssignment.decode(m.memberAssignment).assignment : {},
          })),
        })
      }
    } else if (command === 'offsets') {
      for (const t of await admin.fetchOffsets({ groupId: args[0], topics: [args[1]] })) {
        for (const p of t.partitions) emit({ topic: t.topic, partition: p.partition, offset: Number(p.offset) })
      }
    } else if (command === 'set-offsets') {
      const partitions = args.slice(2).map(a => { const [p, o] = a.split('='); return { partition: Number(p), offset: o } })
      try {
        await admin.setOffsets({ groupId: args[0], topic: args[1], partitions })
        emit({ set: true })
      } catch (e) { emit({ error: e.type || e.message }) }
    } else if (command === 'delete') {
      try {
        for (const g of await admin.deleteGroups(args)) emit({ group: g.groupId, error: g.errorCode })
      } catch (e) {
        for (const g of e.groups || []) emit({ group: g.groupId, error: g.errorCode, type: g.error && g.error.type })
      }
    } else {
      throw new Error(`unknown command ${command}`)
    }
  } finally {
    await admin.disconnect()
  }
}

main().catch(e => { process.stderr.write(`failed: ${e && e.stack}\n`); process.exit(1) })
