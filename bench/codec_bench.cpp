// lottery-codec-bench: the per-bet cost of the codec alone, without sockets, files or threads.
//
//   lottery-codec-bench FILE [--repeat N]
//
// Reads FILE (agency CSV rows) into memory once, then times each step of the hot paths on every
// row, N times (default 5), and prints the fastest run of each step in nanoseconds per bet:
//   agency:  parse (CSV row -> BetView), validate, encode (BATCH frames of 100 bets)
//   server:  decode (BatchReader), validate (UTF-8 already checked), CSV row + CRC-32 per batch
// CPU time of this thread (CLOCK_THREAD_CPUTIME_ID), so other load on the machine matters less.
// lottery-bench measures the whole system; this says where a change to the codec moves the cost.
#include "common/csv.h"
#include "common/stored_bet_row.h"
#include "lottery/agency/agency_csv_row.h"
#include "lottery/protocol/bet.h"
#include "lottery/protocol/codec.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

using namespace lottery::protocol;

namespace {

double threadCpuNanos()
{
    timespec now {};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) * 1e9 + static_cast<double>(now.tv_nsec);
}

struct Steps {
    double parse = 0, validateAgency = 0, encode = 0, decode = 0, validateServer = 0, store = 0;
};

// One pass over every row through both sides; returns the CPU nanoseconds of each step.
Steps runOnce(const std::vector<std::string_view> &lines, const CivilDate &today, std::size_t &bets,
    std::uint32_t &checksum)
{
    Steps steps;
    lottery::CsvRowScratch scratch;
    std::string error;
    std::vector<BetView> views;
    views.reserve(lines.size());
    double t = threadCpuNanos();
    for (std::string_view line : lines) {
        BetView bet;
        if (lottery::agency::parseAgencyCsvRow(line, scratch, bet, error)
            && scratch.unescaped.empty())
            views.push_back(bet); // (quoted rows would view the scratch: the dataset has none)
    }
    steps.parse = threadCpuNanos() - t;

    t = threadCpuNanos();
    std::vector<BetView> valid;
    valid.reserve(views.size());
    for (const BetView &bet : views) {
        if (!validateBet(bet, today))
            valid.push_back(bet);
    }
    steps.validateAgency = threadCpuNanos() - t;

    t = threadCpuNanos();
    std::vector<std::string> frames;
    BatchFrameEncoder encoder(100);
    std::uint64_t sequence = 1;
    for (const BetView &bet : valid) {
        if (!encoder.add(bet)) {
            frames.push_back(encoder.finish(sequence++));
            encoder.add(bet);
        }
    }
    if (!encoder.empty())
        frames.push_back(encoder.finish(sequence++));
    steps.encode = threadCpuNanos() - t;

    t = threadCpuNanos();
    std::vector<BetView> decoded;
    decoded.reserve(valid.size());
    for (const std::string &frame : frames) {
        BatchReader reader(std::string_view(frame).substr(kFrameHeaderSize));
        BetView bet;
        while (reader.next(bet))
            decoded.push_back(bet);
        if (reader.error())
            std::fprintf(stderr, "decode error: %s\n", reader.error()->toString().c_str());
    }
    steps.decode = threadCpuNanos() - t;

    t = threadCpuNanos();
    std::size_t refused = 0;
    for (const BetView &bet : decoded)
        refused += validateBet(bet, today, Utf8Check::AlreadyDone).has_value();
    steps.validateServer = threadCpuNanos() - t;

    t = threadCpuNanos();
    std::string csv;
    csv.reserve(1 << 16);
    checksum = 0;
    for (std::size_t i = 0; i < decoded.size(); ++i) {
        lottery::appendStoredBetRow(csv, 1, decoded[i]);
        if ((i + 1) % 100 == 0 || i + 1 == decoded.size()) {
            checksum ^= static_cast<std::uint32_t>(::crc32(
                0L, reinterpret_cast<const Bytef *>(csv.data()), static_cast<uInt>(csv.size())));
            csv.clear();
        }
    }
    steps.store = threadCpuNanos() - t;
    bets = decoded.size() - refused;
    return steps;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s FILE [--repeat N]\n", argv[0]);
        return 2;
    }
    int repeat = 5;
    if (argc == 4 && std::strcmp(argv[2], "--repeat") == 0)
        repeat = std::max(1, std::atoi(argv[3]));
    std::ifstream in(argv[1], std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "cannot read %s\n", argv[1]);
        return 2;
    }
    const std::string file((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<std::string_view> lines;
    for (std::size_t from = 0; from < file.size();) {
        std::size_t end = file.find('\n', from);
        if (end == std::string::npos)
            end = file.size();
        lines.emplace_back(file.data() + from, end - from);
        from = end + 1;
    }
    const CivilDate today {2100, 1, 1}; // fixed, so that results do not depend on the date

    const double inf = std::numeric_limits<double>::infinity();
    Steps best {inf, inf, inf, inf, inf, inf};
    std::size_t bets = 0;
    std::uint32_t checksum = 0;
    for (int i = 0; i < repeat; ++i) {
        const Steps s = runOnce(lines, today, bets, checksum);
        best.parse = std::min(best.parse, s.parse);
        best.validateAgency = std::min(best.validateAgency, s.validateAgency);
        best.encode = std::min(best.encode, s.encode);
        best.decode = std::min(best.decode, s.decode);
        best.validateServer = std::min(best.validateServer, s.validateServer);
        best.store = std::min(best.store, s.store);
    }
    if (bets == 0) {
        std::fprintf(stderr, "no valid bet in %s\n", argv[1]);
        return 1;
    }
    const auto per = [bets](double nanos) { return nanos / static_cast<double>(bets); };
    std::printf(
        "bets %zu (best of %d runs, ns per bet, CPU time; crc %08x)\n", bets, repeat, checksum);
    std::printf("agency  parse %6.1f  validate %6.1f  encode %6.1f  total %6.1f\n", per(best.parse),
        per(best.validateAgency), per(best.encode),
        per(best.parse + best.validateAgency + best.encode));
    std::printf("server  decode %6.1f  validate %6.1f  row+crc %6.1f  total %6.1f\n",
        per(best.decode), per(best.validateServer), per(best.store),
        per(best.decode + best.validateServer + best.store));
    return 0;
}
