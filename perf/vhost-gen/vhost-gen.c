/*
 * vhost-gen: a single-loop 64-byte UDP generator for measuring a vhost-user switch.
 *
 * It opens two DPDK virtio-user ports (the NICs of two VMs without the VMs) on the vhost-user sockets given as
 * arguments. On one lcore, in one loop, it sends 64-byte UDP frames (60 bytes without the FCS) on port A to port B's
 * MAC and IP, cycling the UDP source port over FLOWS flows, and drains port B. After a warm-up it counts, for SECS
 * seconds, the frames that arrive at B, and prints one line:
 *
 *   vhost-gen flows=256 secs=5.000 sent=... received=... tx_pps=... rx_pps=... ring_full=97% replies=256/256
 *
 * tx_pps: frames the switch took from A's ring; rx_pps: frames that reached B (the result); ring_full: the share of
 * loop turns that found A's transmit ring full (near 100% when the switch, not the generator, is the limit).
 *
 * With -i, it also prints a line per second of measuring (vhost-gen-interval t=... rx_pps=...), to watch a switch
 * warm up.
 *
 * With -r, before measuring, each flow first sends one frame A -> B and then one reply B -> A, so that a stateful
 * firewall has seen both directions (an established connection: Open vSwitch's conntrack never marks one-way UDP
 * established). replies=X/FLOWS counts the flows whose reply came through (missing ones are retried up to 5 rounds).
 *
 *   vhost-gen [-c CPU] [-f FLOWS] [-t SECS] [-w WARMUP_SECS] [-r] [-i] [-p UDP_DST_PORT] [-H HUGE_DIR] [-q RING]
 *             [--mac-a MAC] [--mac-b MAC] [--ip-a IP] [--ip-b IP] PATH_A PATH_B
 *
 * Build: make -C perf/vhost-gen (pkg-config libdpdk). A measuring tool, not product code.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_udp.h>

#define BURST 32
#define FRAME_LEN 60 /* 64 on the wire with the FCS */
#define MAX_FLOWS 65000
#define SRC_PORT_BASE 1024

static volatile int stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

struct side {
    uint16_t port;
    struct rte_ether_addr mac;
    uint32_t ip; /* network order */
};

static void die(const char *what)
{
    fprintf(stderr, "vhost-gen: %s\n", what);
    exit(1);
}

/* One 60-byte UDP frame from -> to, source port sport, destination port dport. */
static void build(uint8_t *p, const struct side *from, const struct side *to, uint16_t sport, uint16_t dport)
{
    struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;
    struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
    struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
    memset(p, 0, FRAME_LEN);
    eth->dst_addr = to->mac;
    eth->src_addr = from->mac;
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->total_length = rte_cpu_to_be_16(FRAME_LEN - sizeof(*eth));
    ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
    ip->time_to_live = 64;
    ip->next_proto_id = IPPROTO_UDP;
    ip->src_addr = from->ip;
    ip->dst_addr = to->ip;
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    udp->src_port = rte_cpu_to_be_16(sport);
    udp->dst_port = rte_cpu_to_be_16(dport);
    udp->dgram_len = rte_cpu_to_be_16(FRAME_LEN - sizeof(*eth) - sizeof(*ip));
    udp->dgram_cksum = 0; /* optional in IPv4 */
    memset(udp + 1, 0x42, FRAME_LEN - sizeof(*eth) - sizeof(*ip) - sizeof(*udp));
}

static void port_init(uint16_t port, struct rte_mempool *pool, uint16_t ring)
{
    struct rte_eth_conf conf;
    memset(&conf, 0, sizeof(conf));
    if (rte_eth_dev_configure(port, 1, 1, &conf) != 0)
        die("rte_eth_dev_configure failed");
    if (rte_eth_rx_queue_setup(port, 0, ring, rte_eth_dev_socket_id(port), NULL, pool) != 0)
        die("rte_eth_rx_queue_setup failed");
    if (rte_eth_tx_queue_setup(port, 0, ring, rte_eth_dev_socket_id(port), NULL) != 0)
        die("rte_eth_tx_queue_setup failed");
    if (rte_eth_dev_start(port) != 0)
        die("rte_eth_dev_start failed");
}

/* Frees everything waiting on a port; returns how many. */
static uint64_t drain(uint16_t port)
{
    struct rte_mbuf *rx[BURST];
    uint64_t total = 0;
    uint16_t n;
    do {
        n = rte_eth_rx_burst(port, 0, rx, BURST);
        rte_pktmbuf_free_bulk(rx, n);
        total += n;
    } while (n == BURST);
    return total;
}

/* Receives what waits on `port`; marks in seen[] the flow each frame's UDP destination port names (replies). */
static void collect(uint16_t port, uint8_t *seen)
{
    struct rte_mbuf *rx[BURST];
    uint16_t n;
    do {
        n = rte_eth_rx_burst(port, 0, rx, BURST);
        for (uint16_t k = 0; k < n && seen != NULL; k++) {
            if (rx[k]->data_len < FRAME_LEN)
                continue;
            struct rte_udp_hdr *udp = rte_pktmbuf_mtod_offset(rx[k], struct rte_udp_hdr *,
                                                              sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr));
            uint32_t f = (uint32_t)rte_be_to_cpu_16(udp->dst_port) - SRC_PORT_BASE;
            if (f < MAX_FLOWS)
                seen[f] = 1;
        }
        rte_pktmbuf_free_bulk(rx, n);
    } while (n == BURST);
}

/*
 * Sends one frame per flow index in idx[] from -> to (forward: A:port -> B:dport; reply: B:dport -> A:port), in
 * bursts, reading both ports meanwhile and for 200 ms after; seen[] (replies) records the flows that arrived.
 */
static void send_flows(struct rte_mempool *pool, const struct side *from, const struct side *to, const uint32_t *idx,
                       uint32_t count, int reply, uint16_t dport, uint8_t *seen)
{
    struct rte_mbuf *tx[BURST];
    uint64_t deadline = rte_get_tsc_cycles() + 2 * rte_get_tsc_hz(); /* at most 2 s per round */
    for (uint32_t i = 0; i < count && !stop && rte_get_tsc_cycles() < deadline;) {
        uint32_t n = RTE_MIN((uint32_t)BURST, count - i);
        if (rte_pktmbuf_alloc_bulk(pool, tx, n) != 0)
            die("out of mbufs");
        for (uint32_t k = 0; k < n; k++) {
            uint16_t fport = SRC_PORT_BASE + idx[i + k];
            build(rte_pktmbuf_mtod(tx[k], uint8_t *), from, to, reply ? dport : fport, reply ? fport : dport);
            tx[k]->data_len = tx[k]->pkt_len = FRAME_LEN;
        }
        uint16_t sent = 0;
        while (sent < n && !stop && rte_get_tsc_cycles() < deadline) {
            sent += rte_eth_tx_burst(from->port, 0, tx + sent, n - sent);
            collect(to->port, seen);
            collect(from->port, NULL);
        }
        if (sent < n)
            rte_pktmbuf_free_bulk(tx + sent, n - sent);
        i += n;
    }
    uint64_t until = rte_get_tsc_cycles() + rte_get_tsc_hz() / 5;
    while (rte_get_tsc_cycles() < until && !stop) {
        collect(to->port, seen);
        collect(from->port, NULL);
    }
}

int main(int argc, char **argv)
{
    int cpu = 0, flows = 1, replies = 0, ring = 1024, intervals = 0;
    double secs = 5, warmup = 1;
    uint16_t dport = 9;
    const char *huge_dir = NULL;
    const char *mac_a = "fa:16:3e:b8:00:01", *mac_b = "fa:16:3e:b8:00:02";
    const char *ip_a = "198.18.8.1", *ip_b = "198.18.8.2";
    static const struct option longopts[] = {
        {"mac-a", required_argument, NULL, 1}, {"mac-b", required_argument, NULL, 2},
        {"ip-a", required_argument, NULL, 3},  {"ip-b", required_argument, NULL, 4},
        {NULL, 0, NULL, 0}};
    int opt;
    while ((opt = getopt_long(argc, argv, "c:f:t:w:rip:H:q:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c': cpu = atoi(optarg); break;
        case 'f': flows = atoi(optarg); break;
        case 't': secs = atof(optarg); break;
        case 'w': warmup = atof(optarg); break;
        case 'r': replies = 1; break;
        case 'i': intervals = 1; break;
        case 'p': dport = (uint16_t)atoi(optarg); break;
        case 'H': huge_dir = optarg; break;
        case 'q': ring = atoi(optarg); break;
        case 1: mac_a = optarg; break;
        case 2: mac_b = optarg; break;
        case 3: ip_a = optarg; break;
        case 4: ip_b = optarg; break;
        default: die("usage: vhost-gen [-c CPU] [-f FLOWS] [-t SECS] [-w WARMUP] [-r] [-i] [-p DPORT] [-H HUGE_DIR] "
                     "[-q RING] [--mac-a MAC] [--mac-b MAC] [--ip-a IP] [--ip-b IP] PATH_A PATH_B");
        }
    }
    if (argc - optind != 2)
        die("two vhost-user socket paths expected");
    if (flows < 1 || flows > MAX_FLOWS || secs <= 0 || warmup < 0 || ring < 64)
        die("bad -f, -t, -w or -q");

    /* EAL: one lcore, no PCI, memory private to this process (no files left behind). */
    char lcore[16], vdev0[4200], vdev1[4200], hugeopt[4200];
    snprintf(lcore, sizeof(lcore), "%d", cpu);
    snprintf(vdev0, sizeof(vdev0), "net_virtio_user0,path=%s,queue_size=%d", argv[optind], ring);
    snprintf(vdev1, sizeof(vdev1), "net_virtio_user1,path=%s,queue_size=%d", argv[optind + 1], ring);
    char *eal[16];
    int n = 0;
    eal[n++] = argv[0];
    eal[n++] = "-l";
    eal[n++] = lcore;
    eal[n++] = "--in-memory";
    eal[n++] = "--single-file-segments"; /* else virtio-user: "Too many memory regions" */
    eal[n++] = "--iova-mode=va";
    eal[n++] = "--no-pci";
    eal[n++] = "--no-telemetry";
    eal[n++] = "--log-level=*:warning";
    eal[n++] = "--vdev";
    eal[n++] = vdev0;
    eal[n++] = "--vdev";
    eal[n++] = vdev1;
    if (huge_dir != NULL) {
        snprintf(hugeopt, sizeof(hugeopt), "--huge-dir=%s", huge_dir);
        eal[n++] = hugeopt;
    }
    eal[n] = NULL;
    if (rte_eal_init(n, eal) < 0)
        die("rte_eal_init failed");
    if (rte_eth_dev_count_avail() != 2)
        die("expected two virtio-user ports");
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    struct rte_mempool *pool = rte_pktmbuf_pool_create("gen", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
    if (pool == NULL)
        die("rte_pktmbuf_pool_create failed");
    struct side a = {.port = 0}, b = {.port = 1};
    if (rte_ether_unformat_addr(mac_a, &a.mac) != 0 || rte_ether_unformat_addr(mac_b, &b.mac) != 0)
        die("bad MAC");
    if (inet_pton(AF_INET, ip_a, &a.ip) != 1 || inet_pton(AF_INET, ip_b, &b.ip) != 1)
        die("bad IP");
    port_init(a.port, pool, ring);
    port_init(b.port, pool, ring);

    /* Established connections first: per flow one frame A -> B, then one reply B -> A. */
    uint32_t *idx = malloc(sizeof(uint32_t) * flows);
    uint8_t *seen = calloc(MAX_FLOWS, 1);
    int answered = 0;
    if (idx == NULL || seen == NULL)
        die("out of memory");
    if (replies) {
        for (int round = 0; round < 5 && answered < flows && !stop; round++) {
            uint32_t missing = 0;
            for (int f = 0; f < flows; f++)
                if (!seen[f])
                    idx[missing++] = f;
            send_flows(pool, &a, &b, idx, missing, 0, dport, NULL);
            send_flows(pool, &b, &a, idx, missing, 1, dport, seen);
            answered = 0;
            for (int f = 0; f < flows; f++)
                answered += seen[f];
        }
    }

    /* The loop: send a burst on A, drain B; frames the ring did not take are sent again next time. */
    struct rte_mbuf *tx[BURST];
    uint16_t pending = 0;
    uint32_t flow = 0;
    uint64_t hz = rte_get_tsc_hz();
    uint64_t start = rte_get_tsc_cycles();
    uint64_t t0 = start + (uint64_t)(warmup * hz), t1 = t0 + (uint64_t)(secs * hz);
    uint64_t sent = 0, received = 0, turns = 0, full = 0, sent0 = 0, received0 = 0, turns0 = 0, full0 = 0;
    int measuring = 0;
    uint64_t tick = 0, received_tick = 0;
    uint8_t template[FRAME_LEN];
    build(template, &a, &b, SRC_PORT_BASE, dport);
    const size_t sport_at = sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr); /* UDP checksum is 0 */
    for (;;) {
        uint64_t now = rte_get_tsc_cycles();
        if (!measuring && now >= t0) {
            measuring = 1;
            sent0 = sent; received0 = received; turns0 = turns; full0 = full;
            t0 = now; /* the exact start */
            tick = now + hz;
            received_tick = received;
        }
        if (intervals && measuring && now >= tick) {
            printf("vhost-gen-interval t=%.0f rx_pps=%lu\n", (double)(now - t0) / hz, received - received_tick);
            fflush(stdout);
            tick += hz;
            received_tick = received;
        }
        if (now >= t1 || stop)
            break;
        if (pending < BURST) {
            uint16_t need = BURST - pending;
            if (rte_pktmbuf_alloc_bulk(pool, tx + pending, need) == 0) {
                for (uint16_t k = pending; k < BURST; k++) {
                    uint8_t *p = rte_pktmbuf_mtod(tx[k], uint8_t *);
                    rte_memcpy(p, template, FRAME_LEN);
                    *(uint16_t *)(p + sport_at) = rte_cpu_to_be_16(SRC_PORT_BASE + flow);
                    tx[k]->data_len = tx[k]->pkt_len = FRAME_LEN;
                    if (++flow == (uint32_t)flows)
                        flow = 0;
                }
                pending = BURST;
            }
        }
        uint16_t k = rte_eth_tx_burst(a.port, 0, tx, pending);
        sent += k;
        if (k > 0 && k < pending)
            memmove(tx, tx + k, sizeof(tx[0]) * (pending - k));
        pending -= k;
        turns++;
        full += pending > 0;
        received += drain(b.port);
    }
    uint64_t t_end = rte_get_tsc_cycles();
    if (!stop && measuring) {
        double dt = (double)(t_end - t0) / hz;
        uint64_t s = sent - sent0, r = received - received0, t = turns - turns0, u = full - full0;
        printf("vhost-gen flows=%d secs=%.3f sent=%lu received=%lu tx_pps=%.0f rx_pps=%.0f ring_full=%.0f%% replies=%d/%d\n",
               flows, dt, s, r, s / dt, r / dt, t ? 100.0 * u / t : 0.0, replies ? answered : 0, replies ? flows : 0);
        fflush(stdout);
    }
    rte_pktmbuf_free_bulk(tx, pending);
    rte_eth_dev_stop(a.port);
    rte_eth_dev_stop(b.port);
    rte_eth_dev_close(a.port);
    rte_eth_dev_close(b.port);
    rte_eal_cleanup();
    return stop ? 130 : 0;
}
