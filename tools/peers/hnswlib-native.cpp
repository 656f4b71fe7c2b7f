// Native hnswlib (C++, no binding overhead) on the files fmdb bench reads, in two steps so that
// search rounds can be interleaved with FeatureMemory's without rebuilding:
//   hnswlib-native build  DIR l2|ip M EF_CONSTRUCTION THREADS INDEX_FILE
//     prints {"build_rows_per_s", "threads", "build_seconds", "index_bytes", "index_bytes_per_vector"}
//   hnswlib-native search DIR l2|ip INDEX_FILE EF_LIST MIN_SECONDS
//     prints one {"ef", "recall", "qps", "passes", "seconds"} per ef; the query file is passed over
//     as many times as it takes to last MIN_SECONDS, one query at a time on one thread, after
//     one untimed pass that measures recall.
// DIR holds base.fvecs, query.fvecs and groundtruth.ivecs; for cosine pass ip on unit vectors.
#include "hnswlib/hnswlib.h"
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

static std::vector<float> readVecs(const std::string& path, int& dim, size_t& rows) {
    std::ifstream file(path, std::ios::binary);
    if (!file) { fprintf(stderr, "cannot read %s\n", path.c_str()); exit(2); }
    std::vector<float> out;
    int d = 0;
    rows = 0;
    while (file.read(reinterpret_cast<char*>(&d), 4)) {
        size_t at = out.size();
        out.resize(at + size_t(d));
        file.read(reinterpret_cast<char*>(out.data() + at), 4 * std::streamsize(d));
        rows++;
    }
    dim = d;
    return out;
}

static double seconds(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

int main(int argc, char** argv) {
    if (argc < 2) { fprintf(stderr, "usage: hnswlib-native build|search ...\n"); return 2; }
    std::string mode = argv[1];
    if ((mode == "build" && argc != 8) || (mode == "search" && argc != 7) || (mode != "build" && mode != "search")) {
        fprintf(stderr, "usage: hnswlib-native build DIR l2|ip M EFC THREADS INDEX | search DIR l2|ip INDEX EFS MIN_SECONDS\n");
        return 2;
    }
    std::string dir = argv[2], metric = argv[3];
    int dim = 0;
    size_t rows = 0;
    hnswlib::SpaceInterface<float>* space = nullptr;
    if (mode == "build") {
        auto base = readVecs(dir + "/base.fvecs", dim, rows);
        space = metric == "l2" ? static_cast<hnswlib::SpaceInterface<float>*>(new hnswlib::L2Space(dim))
                               : static_cast<hnswlib::SpaceInterface<float>*>(new hnswlib::InnerProductSpace(dim));
        int m = atoi(argv[4]), efc = atoi(argv[5]), threads = atoi(argv[6]);
        auto* index = new hnswlib::HierarchicalNSW<float>(space, rows, m, efc, 100);
        auto start = std::chrono::steady_clock::now();
        std::atomic<size_t> next(0);
        auto work = [&]() { for (size_t i; (i = next++) < rows;) index->addPoint(base.data() + i * dim, i); };
        std::vector<std::thread> pool;
        for (int t = 1; t < threads; t++) pool.emplace_back(work);
        work();
        for (auto& t : pool) t.join();
        double elapsed = seconds(start);
        index->saveIndex(argv[7]);
        std::ifstream saved(argv[7], std::ios::binary | std::ios::ate);
        double bytes = double(saved.tellg());
        printf("{\"build_rows_per_s\": %.1f, \"threads\": %d, \"build_seconds\": %.2f, \"index_bytes\": %.0f, \"index_bytes_per_vector\": %.1f}\n",
               rows / elapsed, threads, elapsed, bytes, bytes / rows);
        return 0;
    }
    int qdim = 0, gdim = 0;
    size_t nq = 0, ng = 0;
    auto queries = readVecs(dir + "/query.fvecs", qdim, nq);
    auto truthFloats = readVecs(dir + "/groundtruth.ivecs", gdim, ng);
    const int* truth = reinterpret_cast<const int*>(truthFloats.data());
    dim = qdim;
    space = metric == "l2" ? static_cast<hnswlib::SpaceInterface<float>*>(new hnswlib::L2Space(dim))
                           : static_cast<hnswlib::SpaceInterface<float>*>(new hnswlib::InnerProductSpace(dim));
    auto* index = new hnswlib::HierarchicalNSW<float>(space, argv[4]);
    double minimum = atof(argv[6]);
    const size_t k = 10;
    std::stringstream list(argv[5]);
    for (std::string item; std::getline(list, item, ',');) {
        int ef = atoi(item.c_str());
        index->setEf(ef);
        // an untimed pass measures recall and warms the caches; the timed passes only search
        size_t hits = 0, passes = 0, answered = 0;
        for (size_t i = 0; i < nq; i++) {
            auto result = index->searchKnn(queries.data() + i * dim, k);
            std::unordered_set<int> best(truth + i * gdim, truth + i * gdim + k);
            while (!result.empty()) { hits += best.count(int(result.top().second)); result.pop(); }
        }
        size_t sink = 0;
        auto start = std::chrono::steady_clock::now();
        do {
            for (size_t i = 0; i < nq; i++) sink += index->searchKnn(queries.data() + i * dim, k).size();
            answered += nq;
            passes++;
        } while (seconds(start) < minimum);
        if (sink == 0) fprintf(stderr, "no results\n");
        double elapsed = seconds(start);
        printf("{\"ef\": %d, \"recall\": %.4f, \"qps\": %.1f, \"passes\": %zu, \"seconds\": %.2f}\n",
               ef, double(hits) / double(nq * k), answered / elapsed, passes, elapsed);
        fflush(stdout);
    }
    return 0;
}
