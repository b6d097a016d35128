/* Consumer-group admin through librdkafka's own Admin API (2.0+: ListConsumerGroups with state
 * filters, DescribeConsumerGroups with decoded assignments, DeleteGroups, List/Alter/Delete
 * ConsumerGroupOffsets). confluent-kafka-python 1.7 wraps none of these, so the group tests
 * compile this file (gcc, librdkafka-dev) and run it. One JSON line per result:
 *
 *   group_admin BOOTSTRAP list [STATE...]         {"group","state","simple"}
 *   group_admin BOOTSTRAP describe GROUP...       {"group","error","state","assignor","simple","members":[{"member","instance","client","host","partitions":[[t,p]...]}]}
 *   group_admin BOOTSTRAP delete GROUP...         {"group","error"}
 *   group_admin BOOTSTRAP list-offsets GROUP      {"group","error"} then {"topic","partition","offset","error"} each
 *   group_admin BOOTSTRAP alter-offsets GROUP TOPIC P=O...   same lines as list-offsets
 *   group_admin BOOTSTRAP delete-offsets GROUP TOPIC:P...    same lines as list-offsets (a group error: that line only)
 *
 * "error" is librdkafka's name of the Kafka error code (NO_ERROR when none). Exit 1 on a request
 * failure (the reason on stderr). Names come from the tests, never quoted characters. */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static rd_kafka_t *rk;
static rd_kafka_queue_t *queue;

static void fail(const char *what, const char *why) {
        fprintf(stderr, "failed: %s: %s\n", what, why);
        exit(1);
}

static const char *err_name(const rd_kafka_error_t *e) {
        return e ? rd_kafka_err2name(rd_kafka_error_code(e)) : "NO_ERROR";
}

static rd_kafka_AdminOptions_t *options(rd_kafka_admin_op_t op) {
        char errstr[256];
        rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, op);
        if (rd_kafka_AdminOptions_set_request_timeout(o, 20000, errstr, sizeof errstr))
                fail("options", errstr);
        return o;
}

static rd_kafka_event_t *wait_result(const char *what) {
        rd_kafka_event_t *ev = rd_kafka_queue_poll(queue, 30000);
        if (!ev)
                fail(what, "no result within 30 s");
        if (rd_kafka_event_error(ev))
                fail(what, rd_kafka_event_error_string(ev));
        return ev;
}

static void print_partitions(const char *group, const rd_kafka_group_result_t *g) {
        const rd_kafka_topic_partition_list_t *parts = rd_kafka_group_result_partitions(g);
        printf("{\"group\":\"%s\",\"error\":\"%s\"}\n", group, err_name(rd_kafka_group_result_error(g)));
        for (int i = 0; parts && i < parts->cnt; i++)
                printf("{\"topic\":\"%s\",\"partition\":%d,\"offset\":%lld,\"error\":\"%s\"}\n", parts->elems[i].topic,
                       parts->elems[i].partition, (long long)parts->elems[i].offset, rd_kafka_err2name(parts->elems[i].err));
}

static void list(int argc, char **argv) {
        rd_kafka_AdminOptions_t *o = options(RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS);
        rd_kafka_consumer_group_state_t states[8];
        int n = 0;
        for (int i = 0; i < argc && n < 8; i++)
                states[n++] = rd_kafka_consumer_group_state_code(argv[i]);
        if (n) {
                rd_kafka_error_t *e = rd_kafka_AdminOptions_set_match_consumer_group_states(o, states, n);
                if (e)
                        fail("state filter", rd_kafka_error_string(e));
        }
        rd_kafka_ListConsumerGroups(rk, o, queue);
        rd_kafka_event_t *ev = wait_result("ListConsumerGroups");
        const rd_kafka_ListConsumerGroups_result_t *res = rd_kafka_event_ListConsumerGroups_result(ev);
        size_t cnt, ecnt;
        const rd_kafka_ConsumerGroupListing_t **groups = rd_kafka_ListConsumerGroups_result_valid(res, &cnt);
        const rd_kafka_error_t **errors = rd_kafka_ListConsumerGroups_result_errors(res, &ecnt);
        if (ecnt)
                fail("ListConsumerGroups", rd_kafka_error_string(errors[0]));
        for (size_t i = 0; i < cnt; i++)
                printf("{\"group\":\"%s\",\"state\":\"%s\",\"simple\":%s}\n", rd_kafka_ConsumerGroupListing_group_id(groups[i]),
                       rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupListing_state(groups[i])),
                       rd_kafka_ConsumerGroupListing_is_simple_consumer_group(groups[i]) ? "true" : "false");
        rd_kafka_event_destroy(ev);
        rd_kafka_AdminOptions_destroy(o);
}

static void describe(int argc, char **argv) {
        rd_kafka_AdminOptions_t *o = options(RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS);
        rd_kafka_DescribeConsumerGroups(rk, (const char **)argv, argc, o, queue);
        rd_kafka_event_t *ev = wait_result("DescribeConsumerGroups");
        size_t cnt;
        const rd_kafka_ConsumerGroupDescription_t **groups =
            rd_kafka_DescribeConsumerGroups_result_groups(rd_kafka_event_DescribeConsumerGroups_result(ev), &cnt);
        for (size_t i = 0; i < cnt; i++) {
                const rd_kafka_ConsumerGroupDescription_t *g = groups[i];
                const char *assignor = rd_kafka_ConsumerGroupDescription_partition_assignor(g);
                printf("{\"group\":\"%s\",\"error\":\"%s\",\"state\":\"%s\",\"assignor\":\"%s\",\"simple\":%s,\"members\":[",
                       rd_kafka_ConsumerGroupDescription_group_id(g), err_name(rd_kafka_ConsumerGroupDescription_error(g)),
                       rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(g)), assignor ? assignor : "",
                       rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(g) ? "true" : "false");
                for (size_t m = 0; m < rd_kafka_ConsumerGroupDescription_member_count(g); m++) {
                        const rd_kafka_MemberDescription_t *md = rd_kafka_ConsumerGroupDescription_member(g, m);
                        const char *instance = rd_kafka_MemberDescription_group_instance_id(md);
                        const rd_kafka_topic_partition_list_t *parts =
                            rd_kafka_MemberAssignment_partitions(rd_kafka_MemberDescription_assignment(md));
                        printf("%s{\"member\":\"%s\",\"instance\":\"%s\",\"client\":\"%s\",\"host\":\"%s\",\"partitions\":[", m ? "," : "",
                               rd_kafka_MemberDescription_consumer_id(md), instance ? instance : "",
                               rd_kafka_MemberDescription_client_id(md), rd_kafka_MemberDescription_host(md));
                        for (int p = 0; parts && p < parts->cnt; p++)
                                printf("%s[\"%s\",%d]", p ? "," : "", parts->elems[p].topic, parts->elems[p].partition);
                        printf("]}");
                }
                printf("]}\n");
        }
        rd_kafka_event_destroy(ev);
        rd_kafka_AdminOptions_destroy(o);
}

static void delete_groups(int argc, char **argv) {
        rd_kafka_AdminOptions_t *o = options(RD_KAFKA_ADMIN_OP_DELETEGROUPS);
        rd_kafka_DeleteGroup_t **del = calloc(argc, sizeof *del);
        for (int i = 0; i < argc; i++)
                del[i] = rd_kafka_DeleteGroup_new(argv[i]);
        rd_kafka_DeleteGroups(rk, del, argc, o, queue);
        rd_kafka_event_t *ev = wait_result("DeleteGroups");
        size_t cnt;
        const rd_kafka_group_result_t **groups = rd_kafka_DeleteGroups_result_groups(rd_kafka_event_DeleteGroups_result(ev), &cnt);
        for (size_t i = 0; i < cnt; i++)
                printf("{\"group\":\"%s\",\"error\":\"%s\"}\n", rd_kafka_group_result_name(groups[i]),
                       err_name(rd_kafka_group_result_error(groups[i])));
        rd_kafka_event_destroy(ev);
        rd_kafka_DeleteGroup_destroy_array(del, argc);
        free(del);
        rd_kafka_AdminOptions_destroy(o);
}

static void list_offsets(const char *group) {
        rd_kafka_AdminOptions_t *o = options(RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS);
        rd_kafka_ListConsumerGroupOffsets_t *req = rd_kafka_ListConsumerGroupOffsets_new(group, NULL);
        rd_kafka_ListConsumerGroupOffsets(rk, &req, 1, o, queue);
        rd_kafka_event_t *ev = wait_result("ListConsumerGroupOffsets");
        size_t cnt;
        const rd_kafka_group_result_t **groups =
            rd_kafka_ListConsumerGroupOffsets_result_groups(rd_kafka_event_ListConsumerGroupOffsets_result(ev), &cnt);
        for (size_t i = 0; i < cnt; i++)
                print_partitions(group, groups[i]);
        rd_kafka_event_destroy(ev);
        rd_kafka_ListConsumerGroupOffsets_destroy(req);
        rd_kafka_AdminOptions_destroy(o);
}

static void alter_offsets(const char *group, const char *topic, int argc, char **argv) {
        rd_kafka_AdminOptions_t *o = options(RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS);
        rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(argc);
        for (int i = 0; i < argc; i++) {
                int p;
                long long off;
                if (sscanf(argv[i], "%d=%lld", &p, &off) != 2)
                        fail("alter-offsets", "expected PARTITION=OFFSET");
                rd_kafka_topic_partition_list_add(parts, topic, p)->offset = off;
        }
        rd_kafka_AlterConsumerGroupOffsets_t *req = rd_kafka_AlterConsumerGroupOffsets_new(group, parts);
        rd_kafka_AlterConsumerGroupOffsets(rk, &req, 1, o, queue);
        rd_kafka_event_t *ev = wait_result("AlterConsumerGroupOffsets");
        size_t cnt;
        const rd_kafka_group_result_t **groups =
            rd_kafka_AlterConsumerGroupOffsets_result_groups(rd_kafka_event_AlterConsumerGroupOffsets_result(ev), &cnt);
        for (size_t i = 0; i < cnt; i++)
                print_partitions(group, groups[i]);
        rd_kafka_event_destroy(ev);
        rd_kafka_AlterConsumerGroupOffsets_destroy(req);
        rd_kafka_topic_partition_list_destroy(parts);
        rd_kafka_AdminOptions_destroy(o);
}

static void delete_offsets(const char *group, int argc, char **argv) {
        rd_kafka_AdminOptions_t *o = options(RD_KAFKA_ADMIN_OP_DELETECONSUMERGROUPOFFSETS);
        rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(argc);
        for (int i = 0; i < argc; i++) {
                char *colon = strrchr(argv[i], ':');
                if (!colon)
                        fail("delete-offsets", "expected TOPIC:PARTITION");
                *colon = '\0';
                rd_kafka_topic_partition_list_add(parts, argv[i], atoi(colon + 1));
        }
        rd_kafka_DeleteConsumerGroupOffsets_t *req = rd_kafka_DeleteConsumerGroupOffsets_new(group, parts);
        rd_kafka_DeleteConsumerGroupOffsets(rk, &req, 1, o, queue);
        rd_kafka_event_t *ev = rd_kafka_queue_poll(queue, 30000);
        if (!ev)
                fail("DeleteConsumerGroupOffsets", "no result within 30 s");
        if (rd_kafka_event_error(ev)) {
                /* The group's own error (GROUP_ID_NOT_FOUND, ...) fails the whole request in librdkafka. */
                printf("{\"group\":\"%s\",\"error\":\"%s\"}\n", group, rd_kafka_err2name(rd_kafka_event_error(ev)));
                exit(0);
        }
        size_t cnt;
        const rd_kafka_group_result_t **groups =
            rd_kafka_DeleteConsumerGroupOffsets_result_groups(rd_kafka_event_DeleteConsumerGroupOffsets_result(ev), &cnt);
        for (size_t i = 0; i < cnt; i++)
                print_partitions(group, groups[i]);
        rd_kafka_event_destroy(ev);
        rd_kafka_DeleteConsumerGroupOffsets_destroy(req);
        rd_kafka_topic_partition_list_destroy(parts);
        rd_kafka_AdminOptions_destroy(o);
}

int main(int argc, char **argv) {
        char errstr[512];
        if (argc < 3) {
                fprintf(stderr, "usage: group_admin BOOTSTRAP list|describe|delete|list-offsets|alter-offsets ...\n");
                return 2;
        }
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], errstr, sizeof errstr) != RD_KAFKA_CONF_OK)
                fail("config", errstr);
        if (getenv("GROUP_ADMIN_DEBUG") &&
            rd_kafka_conf_set(conf, "debug", getenv("GROUP_ADMIN_DEBUG"), errstr, sizeof errstr) != RD_KAFKA_CONF_OK)
                fail("config", errstr);
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
        if (!rk)
                fail("client", errstr);
        queue = rd_kafka_queue_new(rk);
        const char *cmd = argv[2];
        if (!strcmp(cmd, "list"))
                list(argc - 3, argv + 3);
        else if (!strcmp(cmd, "describe") && argc > 3)
                describe(argc - 3, argv + 3);
        else if (!strcmp(cmd, "delete") && argc > 3)
                delete_groups(argc - 3, argv + 3);
        else if (!strcmp(cmd, "list-offsets") && argc == 4)
                list_offsets(argv[3]);
        else if (!strcmp(cmd, "delete-offsets") && argc > 4)
                delete_offsets(argv[3], argc - 4, argv + 4);
        else if (!strcmp(cmd, "alter-offsets") && argc > 5)
                alter_offsets(argv[3], argv[4], argc - 5, argv + 5);
        else {
                fprintf(stderr, "bad arguments\n");
                return 2;
        }
        fflush(stdout);
        rd_kafka_queue_destroy(queue);
        rd_kafka_destroy(rk);
        return 0;
}
