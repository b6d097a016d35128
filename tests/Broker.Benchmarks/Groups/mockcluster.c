/*
 * librdkafka's in-memory mock cluster as a standalone server for the group benchmark's reference
 * run: one mock broker on a real TCP port, the commit topic created, the bootstrap address printed
 * on stdout; it serves until stdin closes (run.sh holds a pipe open) or a signal ends it.
 *   mockcluster TOPIC PARTITIONS
 */
#include <stdio.h>
#include <stdlib.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

int main(int argc, char **argv) {
    const char *topic = argc > 1 ? argv[1] : "gbench-commits";
    int partitions = argc > 2 ? atoi(argv[2]) : 8;
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!owner) {
        fprintf(stderr, "rd_kafka_new: %s\n", err);
        return 1;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(owner, 1);
    if (!mc) {
        fprintf(stderr, "mock cluster failed\n");
        return 1;
    }
    rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(mc, topic, partitions, 1);
    if (e) {
        fprintf(stderr, "topic create: %s\n", rd_kafka_err2str(e));
        return 1;
    }
    printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
    fflush(stdout);
    while (getchar() != EOF) {
    }
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(owner);
    return 0;
}
