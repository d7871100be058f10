// lottery-datagen --out DIR --agencies K --bets M [--seed S] [--invalid-every N]
//
// Writes DIR/agency-1.csv .. DIR/agency-K.csv in the course's format (no header, CRLF, UTF-8,
// `first_name,last_name,document,birthdate,number`), M rows each. The same arguments always give
// the same bytes: the generator is our own (splitmix64), not <random>, whose distributions differ
// between standard libraries. Prints each agency's count of winning rows (valid rows whose number
// is the winning one) on stdout.
#include "lottery/protocol/limits.h"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <sys/stat.h>

namespace {

constexpr const char *kUsage
    = "usage: lottery-datagen --out DIR --agencies K --bets M [--seed S] [--invalid-every N]\n"
      "  --out DIR           directory to write agency-1.csv .. agency-K.csv into (created)\n"
      "  --agencies K        number of agency files (1..1000)\n"
      "  --bets M            rows per file (0..100000000)\n"
      "  --seed S            generator seed (default 1); same seed, same bytes\n"
      "  --invalid-every N   make every Nth row invalid (default 0: none)\n";

// Every 997th row wins, so that even small files contain a few winners; the rest are uniform.
constexpr std::uint64_t kForcedWinnerEvery = 997;

constexpr std::string_view kFirstNames[] = {
    "José",
    "María",
    "Juan",
    "Lucía",
    "Martín",
    "Sofía",
    "Agustín",
    "Valentina",
    "Tomás",
    "Camila",
    "Joaquín",
    "Julieta",
    "Nicolás",
    "Ramón",
    "Inés",
    "Santiago",
    "Ángela",
    "Matías",
    "Florencia",
    "Germán",
    "Belén",
    "Lionel",
    "Mónica",
    "Raúl",
    "Zoe",
    "Benjamín",
    "Emilia",
    "Iñaki",
};

constexpr std::string_view kLastNames[] = {
    "Muñoz",
    "Núñez",
    "González",
    "Rodríguez",
    "Fernández",
    "López",
    "Martínez",
    "Pérez",
    "Gómez",
    "Díaz",
    "Sánchez",
    "Romero",
    "Álvarez",
    "Ibáñez",
    "Castro",
    "Ortiz",
    "Ruiz",
    "Suárez",
    "Benítez",
    "Acuña",
    "Peña",
    "Zambrano",
    "Lorca",
    "Rivera",
    "Giménez",
    "Domínguez",
    "Ferreyra",
    "Quiñones",
};

class SplitMix64
{
public:
    explicit SplitMix64(std::uint64_t seed) : m_state(seed) { }

    std::uint64_t next()
    {
        std::uint64_t z = (m_state += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }

    // Uniform in [0, bound) (the modulo bias is below 1e-15 for our bounds).
    std::uint64_t below(std::uint64_t bound) { return next() % bound; }

private:
    std::uint64_t m_state;
};

bool parseNumber(const char *text, std::uint64_t max, std::uint64_t &value)
{
    if (!text || !*text)
        return false;
    errno = 0;
    char *end = nullptr;
    const unsigned long long parsed = std::strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || text[0] == '-' || parsed > max)
        return false;
    value = parsed;
    return true;
}

void appendNumber(std::string &out, std::uint64_t value, int width)
{
    char digits[24];
    int n = 0;
    do {
        digits[n++] = static_cast<char>('0' + value % 10);
        value /= 10;
    } while (value != 0);
    for (int i = n; i < width; ++i)
        out.push_back('0');
    while (n > 0)
        out.push_back(digits[--n]);
}

int daysIn(int year, int month)
{
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : kDays[month - 1];
}

// Appends one row; returns whether it is a valid winning row.
bool appendRow(std::string &out, SplitMix64 &rng, std::uint64_t index, int invalidKind)
{
    const auto pick = [&rng](const auto &list) { return list[rng.below(std::size(list))]; };
    std::string_view first = pick(kFirstNames);
    out.append(first);
    if (rng.below(4) == 0) { // a second first name, as in the course's data
        out.push_back(' ');
        out.append(pick(kFirstNames));
    }
    out.push_back(',');
    out.append(pick(kLastNames));
    out.push_back(',');
    appendNumber(out, 10000000 + rng.below(90000000), 8);
    out.push_back(',');
    const int year = 1940 + static_cast<int>(rng.below(2005 - 1940 + 1));
    const int month = 1 + static_cast<int>(rng.below(12));
    const int day
        = 1 + static_cast<int>(rng.below(static_cast<std::uint64_t>(daysIn(year, month))));
    std::uint64_t number = rng.below(10000);
    if (index % kForcedWinnerEvery == kForcedWinnerEvery - 1)
        number = lottery::protocol::kWinningNumber;
    if (invalidKind >= 0) {
        // One of several kinds of bad rows, in turn, so a test sees each.
        switch (invalidKind % 4) {
        case 0:
            out.append("2001-02-30,");
            appendNumber(out, number, 1);
            break; // no such date
        case 1:
            appendNumber(out, year, 4);
            out.append("-01-01,12345");
            break; // number > 9999
        case 2:
            appendNumber(out, year, 4);
            out.append("-01-01");
            break; // 4 fields
        default:
            appendNumber(out, year, 4);
            out.append("-01-01,abc");
            break; // not a number
        }
        out.append("\r\n");
        return false;
    }
    appendNumber(out, static_cast<std::uint64_t>(year), 4);
    out.push_back('-');
    appendNumber(out, static_cast<std::uint64_t>(month), 2);
    out.push_back('-');
    appendNumber(out, static_cast<std::uint64_t>(day), 2);
    out.push_back(',');
    appendNumber(out, number, 1);
    out.append("\r\n");
    return number == lottery::protocol::kWinningNumber;
}

bool writeAgency(const std::string &path, std::uint64_t agency, std::uint64_t bets,
    std::uint64_t seed, std::uint64_t invalidEvery, std::uint64_t &winners)
{
    std::FILE *file = std::fopen(path.c_str(), "wb");
    if (!file) {
        std::fprintf(
            stderr, "lottery-datagen: cannot create %s: %s\n", path.c_str(), std::strerror(errno));
        return false;
    }
    // Each agency has its own stream, so a file does not depend on how many others are made.
    SplitMix64 rng(seed * 0x100000001B3ULL + agency);
    std::string buffer;
    buffer.reserve(1 << 20);
    winners = 0;
    bool ok = true;
    for (std::uint64_t i = 0; i < bets && ok; ++i) {
        const bool invalid = invalidEvery != 0 && (i + 1) % invalidEvery == 0;
        const int kind = invalid ? static_cast<int>(((i + 1) / invalidEvery) % 4) : -1;
        if (appendRow(buffer, rng, i, kind))
            ++winners;
        if (buffer.size() > (1 << 20) - 512) {
            ok = std::fwrite(buffer.data(), 1, buffer.size(), file) == buffer.size();
            buffer.clear();
        }
    }
    if (ok && !buffer.empty())
        ok = std::fwrite(buffer.data(), 1, buffer.size(), file) == buffer.size();
    if (std::fclose(file) != 0)
        ok = false;
    if (!ok)
        std::fprintf(
            stderr, "lottery-datagen: cannot write %s: %s\n", path.c_str(), std::strerror(errno));
    return ok;
}

} // namespace

int main(int argc, char **argv)
{
    std::string out;
    std::uint64_t agencies = 0, bets = 0, seed = 1, invalidEvery = 0;
    bool haveAgencies = false, haveBets = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::fputs(kUsage, stdout);
            return 0;
        }
        const char *value = i + 1 < argc ? argv[i + 1] : nullptr;
        bool ok = value != nullptr;
        if (arg == "--out") {
            ok = ok && *value;
            if (ok)
                out = value;
        } else if (arg == "--agencies") {
            ok = ok && parseNumber(value, 1000, agencies) && agencies >= 1;
            haveAgencies = true;
        } else if (arg == "--bets") {
            ok = ok && parseNumber(value, 100000000, bets);
            haveBets = true;
        } else if (arg == "--seed") {
            ok = ok && parseNumber(value, UINT64_MAX, seed);
        } else if (arg == "--invalid-every") {
            ok = ok && parseNumber(value, UINT64_MAX, invalidEvery);
        } else {
            std::fprintf(stderr, "lottery-datagen: unknown argument '%s'\n%s", argv[i], kUsage);
            return 2;
        }
        if (!ok) {
            std::fprintf(
                stderr, "lottery-datagen: bad or missing value for %s\n%s", argv[i], kUsage);
            return 2;
        }
        ++i;
    }
    if (out.empty() || !haveAgencies || !haveBets) {
        std::fprintf(
            stderr, "lottery-datagen: --out, --agencies and --bets are required\n%s", kUsage);
        return 2;
    }
    if (::mkdir(out.c_str(), 0755) != 0 && errno != EEXIST) {
        std::fprintf(
            stderr, "lottery-datagen: cannot create %s: %s\n", out.c_str(), std::strerror(errno));
        return 1;
    }
    for (std::uint64_t agency = 1; agency <= agencies; ++agency) {
        const std::string path = out + "/agency-" + std::to_string(agency) + ".csv";
        std::uint64_t winners = 0;
        if (!writeAgency(path, agency, bets, seed, invalidEvery, winners))
            return 1;
        std::printf("agency: %llu | file: %s | bets: %llu | winners: %llu\n",
            static_cast<unsigned long long>(agency), path.c_str(),
            static_cast<unsigned long long>(bets), static_cast<unsigned long long>(winners));
    }
    return 0;
}
