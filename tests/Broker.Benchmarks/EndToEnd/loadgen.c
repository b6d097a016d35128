/*
 * loadgen: a librdkafka load generator for AkkaBroker's end-to-end benchmark.
 * The same binary drives either a real broker (-b host:port) or librdkafka's in-memory mock
 * cluster (-m), so the two can be compared in one run. Prints one JSON line per run.
 *
 *   loadgen produce|consume (-b BOOTSTRAP | -m) -t TOPIC [-p PARTITIONS] [-n MSGS] [-s SIZE]
 *           [-a ACKS] [-r RATE_PER_SEC] [-z CODEC]
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <getopt.h>

static long long now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static long long *lat_us;       /* per message latency, indexed by sequence */
static long long delivered, failed;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk; (void)opaque;
    if (m->err) { failed++; return; }
    long long sent = (long long)(intptr_t)m->_private;
    if (lat_us) lat_us[delivered] = now_us() - sent;
    delivered++;
}

static int cmp_ll(const void *a, const void *b) {
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

static void die(const char *what, const char *err) { fprintf(stderr, "loadgen: %s: %s\n", what, err); exit(1); }

static void set(rd_kafka_conf_t *c, const char *k, const char *v) {
    char err[512];
    if (rd_kafka_conf_set(c, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) die(k, err);
}

static int replication_factor = 1;

static void create_topic(const char *bootstrap, const char *topic, int partitions) {
    char err[512];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    set(c, "bootstrap.servers", bootstrap);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err);
    if (!rk) die("admin", err);
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, partitions, replication_factor, err, sizeof err);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
    if (!ev) die("create topic", "timeout");
    const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
    size_t n; const rd_kafka_topic_result_t **tr = rd_kafka_CreateTopics_result_topics(res, &n);
    if (n == 1 && rd_kafka_topic_result_error(tr[0]) && rd_kafka_topic_result_error(tr[0]) != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
        die("create topic", rd_kafka_topic_result_error_string(tr[0]));
    rd_kafka_event_destroy(ev);
    rd_kafka_NewTopic_destroy(nt);
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: loadgen produce|consume ...\n"); return 2; }
    const char *mode = argv[1];
    const char *bootstrap = NULL, *topic = "bench", *acks = "1", *codec = "none";
    int partitions = 1, size = 100, mock = 0;
    long long msgs = 1000000, rate = 0;
    int opt;
    optind = 2;
    while ((opt = getopt(argc, argv, "b:mt:p:n:s:a:r:z:R:")) != -1) {
        switch (opt) {
        case 'b': bootstrap = optarg; break;
        case 'm': mock = 1; break;
        case 't': topic = optarg; break;
        case 'p': partitions = atoi(optarg); break;
        case 'n': msgs = atoll(optarg); break;
        case 's': size = atoi(optarg); break;
        case 'a': acks = optarg; break;
        case 'r': rate = atoll(optarg); break;
        case 'z': codec = optarg; break;
        case 'R': replication_factor = atoi(optarg); break; /* replication factor of the created topic */
        default: return 2;
        }
    }
    char err[512];
    rd_kafka_t *mock_owner = NULL;
    rd_kafka_mock_cluster_t *mc = NULL;
    if (mock) {
        rd_kafka_conf_t *c = rd_kafka_conf_new();
        mock_owner = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err);
        mc = rd_kafka_mock_cluster_new(mock_owner, 1);
        bootstrap = rd_kafka_mock_cluster_bootstraps(mc);
        rd_kafka_mock_topic_create(mc, topic, partitions, 1);
    } else if (!bootstrap) {
        die("args", "need -b BOOTSTRAP or -m");
    }

    char *payload = malloc(size);
    for (int i = 0; i < size; i++) payload[i] = 'a' + i % 26;

    if (!strcmp(mode, "produce") || !strcmp(mode, "both")) {
        if (!mock) create_topic(bootstrap, topic, partitions);
        rd_kafka_conf_t *c = rd_kafka_conf_new();
        set(c, "bootstrap.servers", bootstrap);
        set(c, "acks", acks);
        set(c, "linger.ms", rate ? "1" : "5");
        set(c, "batch.num.messages", "10000");
        set(c, "queue.buffering.max.messages", "1000000");
        set(c, "compression.codec", codec);
        rd_kafka_conf_set_dr_msg_cb(c, dr_cb);
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err);
        if (!rk) die("producer", err);
        lat_us = calloc(msgs, sizeof(long long));
        long long start = now_us();
        for (long long i = 0; i < msgs; i++) {
            if (rate) {
                long long due = start + i * 1000000LL / rate;
                while (now_us() < due) rd_kafka_poll(rk, 0), usleep(50);
            }
            for (;;) {
                rd_kafka_resp_err_t e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
                    RD_KAFKA_V_PARTITION((int32_t)(i % partitions)),
                    RD_KAFKA_V_VALUE(payload, size), RD_KAFKA_V_OPAQUE((void *)(intptr_t)now_us()),
                    RD_KAFKA_V_END);
                if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) { rd_kafka_poll(rk, 1); continue; }
                if (e) die("produce", rd_kafka_err2str(e));
                break;
            }
            if ((i & 1023) == 0) rd_kafka_poll(rk, 0);
        }
        rd_kafka_flush(rk, 120000);
        long long el = now_us() - start;
        qsort(lat_us, delivered, sizeof(long long), cmp_ll);
        double p50 = delivered ? lat_us[delivered / 2] / 1000.0 : 0, p99 = delivered ? lat_us[(long long)(delivered * 0.99)] / 1000.0 : 0;
        printf("{\"mode\":\"produce\",\"target\":\"%s\",\"partitions\":%d,\"size\":%d,\"acks\":\"%s\",\"rate\":%lld,"
               "\"msgs\":%lld,\"failed\":%lld,\"seconds\":%.3f,\"msgs_per_sec\":%.0f,\"mb_per_sec\":%.1f,\"p50_ms\":%.2f,\"p99_ms\":%.2f}\n",
               mock ? "mock" : "broker", partitions, size, acks, rate, delivered, failed, el / 1e6,
               delivered / (el / 1e6), delivered * (double)size / (el / 1e6) / 1e6, p50, p99);
        fflush(stdout);
        free(lat_us); lat_us = NULL;
        rd_kafka_destroy(rk);
        if (failed) return 1;
    }
    if (!strcmp(mode, "consume") || !strcmp(mode, "both")) {
        rd_kafka_conf_t *c = rd_kafka_conf_new();
        set(c, "bootstrap.servers", bootstrap);
        set(c, "group.id", "loadgen");
        set(c, "enable.auto.commit", "false");
        set(c, "fetch.max.bytes", "52428800");
        /* librdkafka's default of 1 MB per partition: 10 MB responses were measured slower (1.5 s vs 0.8 s for 1M records). */
        set(c, "max.partition.fetch.bytes", "1048576");
        set(c, "queued.max.messages.kbytes", "1048576");
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof err);
        if (!rk) die("consumer", err);
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(partitions);
        for (int p = 0; p < partitions; p++)
            rd_kafka_topic_partition_list_add(l, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_assign(rk, l);
        long long got = 0, bytes = 0, start = 0, last = now_us();
        /* Batch consumption: the per-message poll call, not the broker, bounds a single-partition consumer. */
        rd_kafka_queue_t *queue = rd_kafka_queue_get_consumer(rk);
        rd_kafka_message_t *batch[10000];
        while (got < msgs && now_us() - last < 10000000LL) {
            ssize_t n = rd_kafka_consume_batch_queue(queue, 100, batch, 10000);
            for (ssize_t k = 0; k < n; k++) {
                rd_kafka_message_t *m = batch[k];
                if (!m->err) { if (!start) start = now_us(); got++; bytes += m->len; last = now_us(); }
                rd_kafka_message_destroy(m);
            }
        }
        rd_kafka_queue_destroy(queue);
        long long el = now_us() - start;
        printf("{\"mode\":\"consume\",\"target\":\"%s\",\"partitions\":%d,\"size\":%d,\"msgs\":%lld,\"seconds\":%.3f,"
               "\"msgs_per_sec\":%.0f,\"mb_per_sec\":%.1f}\n", mock ? "mock" : "broker", partitions, size, got, el / 1e6,
               got / (el / 1e6), bytes / (el / 1e6) / 1e6);
        rd_kafka_topic_partition_list_destroy(l);
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
        if (got < msgs) return 1;
    }
    if (mc) rd_kafka_mock_cluster_destroy(mc);
    if (mock_owner) rd_kafka_destroy(mock_owner);
    free(payload);
    return 0;
}
