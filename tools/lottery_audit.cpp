// lottery-audit: checks a lottery's file store without trusting anything the server says.
//
// It reads bets.csv and its journal itself (the formats of docs/PROTOCOL.md section 8 and
// docs/AUDIT.md, with a decoder of its own), recomputes every agency's running digest from the
// rows, the seal of the close of sales from those digests, and the winners from the sealed bets,
// and compares them with what the journal recorded; with --receipt it also checks agencies'
// receipts against the rows. One line per discrepancy, naming the agency and the sequence:
//   exit 0  everything agrees
//   exit 1  a discrepancy (each on its own `DISCREPANCY:` line)
//   exit 2  a usage error, or a file that cannot be read
// With --database the same checks run on a PostgreSQL store (tools/database_audit.h).
#include "common/agency_receipt.h"
#include "common/bet_digest.h"
#include "common/csv.h"
#include "common/stored_bet_row.h"
#include "lottery/protocol/bet.h"
#include "lottery/protocol/byte_order.h"
#include "lottery/protocol/codec.h"
#include "tools/database_audit.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QMap>
#include <QTextStream>

#include <zlib.h>

#include <charconv>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

using namespace lottery;

namespace {

// The journal's record (docs/AUDIT.md "The journal"), decoded here, not by the server's code.
constexpr std::size_t kRecordSize = 48;
constexpr quint32 kMagic = 0x4C544A31; // "LTJ1"
enum Kind : quint8 { Batch = 1, Done = 2, Identity = 3, Close = 4, Seal = 5, AgencySwitch = 6 };

struct Record {
    quint8 kind = 0;
    quint32 agency = 0;
    quint64 sequence = 0;
    quint64 csvOffset = 0;
    quint64 csvLength = 0;
    quint32 betCount = 0;
    quint32 csvCrc = 0;
    protocol::Digest root {};
};

quint32 crcOf(const char *data, std::size_t size)
{
    return static_cast<quint32>(
        ::crc32(0L, reinterpret_cast<const Bytef *>(data), static_cast<uInt>(size)));
}

bool decode(const char *bytes, Record *record)
{
    if (protocol::loadU32(bytes) != kMagic
        || protocol::loadU32(bytes + kRecordSize - 4) != crcOf(bytes, kRecordSize - 4))
        return false;
    record->kind = static_cast<quint8>(bytes[4]);
    if (record->kind == Seal) {
        std::copy(bytes + 8, bytes + 40, record->root.begin());
        return true;
    }
    record->agency = protocol::loadU32(bytes + 8);
    record->sequence = protocol::loadU64(bytes + 12);
    record->csvOffset = protocol::loadU64(bytes + 20);
    record->csvLength = protocol::loadU64(bytes + 28);
    record->betCount = protocol::loadU32(bytes + 36);
    record->csvCrc = protocol::loadU32(bytes + 40);
    return (record->kind >= Batch && record->kind <= Close) || record->kind == AgencySwitch;
}

struct Agency {
    RunningDigest digest;
    quint64 batches = 0;
    std::vector<std::string> winners;
    // The digest after each bet is not kept (5 million of them): a receipt is checked by
    // replaying the agency's rows up to its count, see checkReceipt().
};

class Audit
{
public:
    Audit(QString csvPath, QTextStream &out) : m_csvPath(std::move(csvPath)), m_out(out) { }

    // False: the files cannot be read (exit 2); discrepancies are counted, not failures.
    bool run();
    bool checkReceipt(const AgencyReceipt &receipt, const QString &path);
    int discrepancies() const { return m_discrepancies; }

private:
    void discrepancy(const QString &line)
    {
        ++m_discrepancies;
        m_out << "DISCREPANCY: " << line << '\n';
    }
    // Visits every row of `bytes` (whole LF-ended rows) as (agency, bet), the views valid for the
    // call; the number of rows, or nullopt at the first that is not a bet as the server writes it.
    template<typename Visit>
    static std::optional<quint64> visitRows(std::string_view bytes, const Visit &visit);

    QString m_csvPath;
    QTextStream &m_out;
    // bets.csv is read batch by batch where its journal records say (constant memory: the
    // 5 x 1M store is 222 MB), into one reused buffer.
    std::optional<std::string_view> readCsv(quint64 offset, quint64 length);

    QFile m_csvFile;
    quint64 m_csvSize = 0;
    std::string m_csvBuffer;
    std::string m_journal;
    QMap<quint32, Agency> m_agencies;
    // Each stored batch's place in bets.csv, per agency, in sequence order (for the receipts).
    QMap<quint32, std::vector<std::pair<quint64, quint64>>> m_batchRows;
    int m_discrepancies = 0;
};

// A row without quotes (nearly all) cut into its six fields without allocating, as
// parseStoredBetRow would cut it. False: not six fields.
bool splitPlainRow(std::string_view line, std::string_view *fields)
{
    std::size_t count = 0;
    std::size_t start = 0;
    while (true) {
        const std::size_t comma = line.find(',', start);
        if (count == 6)
            return false;
        fields[count++]
            = line.substr(start, comma == std::string_view::npos ? comma : comma - start);
        if (comma == std::string_view::npos)
            break;
        start = comma + 1;
    }
    return count == 6;
}

template<typename Visit>
std::optional<quint64> Audit::visitRows(std::string_view bytes, const Visit &visit)
{
    quint64 rows = 0;
    while (!bytes.empty()) {
        // A quoted field may hold an LF: find the row's end outside quotes.
        std::size_t end = 0;
        bool quoted = false;
        for (; end < bytes.size(); ++end) {
            if (bytes[end] == '"')
                quoted = !quoted;
            else if (bytes[end] == '\n' && !quoted)
                break;
        }
        if (end == bytes.size())
            return std::nullopt; // every stored row ends with LF
        const std::string_view line = bytes.substr(0, end);
        if (line.find('\r') != std::string_view::npos)
            return std::nullopt;
        std::string_view fields[6];
        if (line.find('"') == std::string_view::npos && splitPlainRow(line, fields)) {
            unsigned agency = 0;
            const auto [last, ec]
                = std::from_chars(fields[0].data(), fields[0].data() + fields[0].size(), agency);
            const auto number = parseBetNumber(fields[5]);
            if (ec != std::errc() || last != fields[0].data() + fields[0].size() || !number)
                return std::nullopt;
            visit(static_cast<quint32>(agency),
                protocol::BetView(fields[1], fields[2], fields[3], fields[4], *number));
        } else {
            const auto row = parseStoredBetRow(line);
            if (!row)
                return std::nullopt;
            const protocol::Bet &bet = row->bet;
            visit(row->agency,
                protocol::BetView(
                    bet.firstName, bet.lastName, bet.document, bet.birthdate, bet.number));
        }
        ++rows;
        bytes.remove_prefix(end + 1);
    }
    return rows;
}

std::optional<std::string_view> Audit::readCsv(quint64 offset, quint64 length)
{
    m_csvBuffer.resize(length);
    if (!m_csvFile.seek(static_cast<qint64>(offset))
        || m_csvFile.read(m_csvBuffer.data(), static_cast<qint64>(length))
            != static_cast<qint64>(length))
        return std::nullopt;
    return std::string_view(m_csvBuffer);
}

bool Audit::run()
{
    m_csvFile.setFileName(m_csvPath);
    QFile journal(m_csvPath + QStringLiteral(".journal"));
    if (!m_csvFile.open(QIODevice::ReadOnly) || !journal.open(QIODevice::ReadOnly)) {
        m_out << "lottery-audit: cannot read " << m_csvPath << " and its journal: "
              << (m_csvFile.isOpen() ? journal.errorString() : m_csvFile.errorString()) << '\n';
        return false;
    }
    m_csvSize = static_cast<quint64>(m_csvFile.size());
    m_journal = journal.readAll().toStdString();

    quint32 expectedAgencies = 0;
    quint64 csvEnd = 0;
    std::optional<Record> close;
    std::optional<protocol::Digest> recordedRoot;
    quint64 index = 0;
    for (std::size_t at = 0; at + kRecordSize <= m_journal.size(); at += kRecordSize) {
        ++index;
        Record record;
        if (!decode(m_journal.data() + at, &record)) {
            discrepancy(QStringLiteral("journal record %1 (byte %2) is damaged or unknown: "
                                       "nothing after it is checked")
                            .arg(index)
                            .arg(at));
            return true;
        }
        if (recordedRoot) {
            discrepancy(QStringLiteral("journal record %1 comes after the seal: the store was "
                                       "written after its close of sales")
                            .arg(index));
            continue;
        }
        switch (record.kind) {
        case Identity: expectedAgencies = static_cast<quint32>(record.sequence); break;
        case Done: break;
        case AgencySwitch:
            // The operator's switch of an agency before the close: its HELLOs were refused from
            // then on; its stored bets stay in the seal. Reported, never damage.
            m_out << "agency " << record.agency << ": "
                  << (record.betCount == 0 ? "disabled" : "enabled") << " by the operator at "
                  << QDateTime::fromMSecsSinceEpoch(qint64(record.sequence), Qt::UTC)
                         .toString(Qt::ISODateWithMs)
                  << '\n';
            if (record.betCount > 1 || record.csvOffset != csvEnd) {
                discrepancy(QStringLiteral("journal record %1, agency %2's switch, says bets.csv "
                                           "ended at byte %3 (state %4); the batches before it "
                                           "end at byte %5")
                                .arg(index)
                                .arg(record.agency)
                                .arg(record.csvOffset)
                                .arg(record.betCount)
                                .arg(csvEnd));
            }
            break;
        case Close:
            close = record;
            if (record.csvOffset != csvEnd) {
                discrepancy(QStringLiteral("the close of sales says bets.csv ended at byte %1; "
                                           "the batches before it end at byte %2")
                                .arg(record.csvOffset)
                                .arg(csvEnd));
            }
            break;
        case Seal: recordedRoot = record.root; break;
        case Batch: {
            Agency &agency = m_agencies[record.agency];
            const QString which
                = QStringLiteral("agency %1 sequence %2").arg(record.agency).arg(record.sequence);
            if (record.sequence != agency.batches + 1) {
                discrepancy(QStringLiteral("%1: follows its batch %2 (a batch removed, added or "
                                           "reordered)")
                                .arg(which)
                                .arg(agency.batches));
            }
            agency.batches = record.sequence;
            if (record.csvOffset != csvEnd) {
                discrepancy(QStringLiteral("%1: its rows start at byte %2 of bets.csv, but the "
                                           "batch before ends at byte %3 (rows removed or added)")
                                .arg(which)
                                .arg(record.csvOffset)
                                .arg(csvEnd));
            }
            // (Written so that a forged offset or length cannot wrap around.)
            if (record.csvLength > m_csvSize || record.csvOffset > m_csvSize - record.csvLength) {
                discrepancy(QStringLiteral("%1: its rows run past the end of bets.csv (rows "
                                           "removed)")
                                .arg(which));
                return true;
            }
            const std::optional<std::string_view> read
                = readCsv(record.csvOffset, record.csvLength);
            if (!read) {
                m_out << "lottery-audit: cannot read " << m_csvPath << ": "
                      << m_csvFile.errorString() << '\n';
                return false;
            }
            const std::string_view rows = *read;
            if (crcOf(rows.data(), rows.size()) != record.csvCrc) {
                discrepancy(QStringLiteral("%1: its rows (bytes %2..%3 of bets.csv) are not the "
                                           "rows stored (CRC): a changed, removed or added row")
                                .arg(which)
                                .arg(record.csvOffset)
                                .arg(record.csvOffset + record.csvLength));
            }
            // One pass over the rows. A row that is not a bet is reported; the rows before it
            // in the batch are counted (the seal recomputed then differs, and says so too).
            const auto count
                = visitRows(rows, [&](quint32 rowAgency, const protocol::BetView &bet) {
                      if (rowAgency != record.agency) {
                          discrepancy(QStringLiteral("%1: holds a row of agency %2")
                                          .arg(which)
                                          .arg(rowAgency));
                      }
                      agency.digest.addBet(bet);
                      if (protocol::isWinner(bet))
                          agency.winners.emplace_back(bet.document);
                  });
            if (!count) {
                discrepancy(
                    QStringLiteral("%1: a row is not a bet as the server writes it").arg(which));
            } else if (*count != record.betCount) {
                discrepancy(QStringLiteral("%1: holds %2 rows, its record says %3")
                                .arg(which)
                                .arg(*count)
                                .arg(record.betCount));
            }
            m_batchRows[record.agency].push_back({record.csvOffset, record.csvLength});
            csvEnd = record.csvOffset + record.csvLength;
            break;
        }
        default: break;
        }
    }
    if (m_journal.size() % kRecordSize != 0) {
        discrepancy(QStringLiteral("the journal ends in a partial record (%1 bytes): a torn "
                                   "tail the server repairs at its next start")
                        .arg(m_journal.size() % kRecordSize));
    }
    if (m_csvSize > csvEnd) {
        discrepancy(QStringLiteral("bets.csv holds %1 bytes after the last batch its journal "
                                   "records (from byte %2): rows no record vouches for")
                        .arg(m_csvSize - csvEnd)
                        .arg(csvEnd));
    }

    // The agencies' heads, the seal, the winners.
    quint64 totalBets = 0;
    quint64 totalWinners = 0;
    std::vector<SealEntry> entries;
    const quint32 agencies
        = std::max<quint32>(expectedAgencies, m_agencies.isEmpty() ? 0 : m_agencies.lastKey());
    if (expectedAgencies == 0)
        m_out << "identity: none recorded (a store older than the identity record)\n";
    else
        m_out << "identity: " << expectedAgencies << " agencies\n";
    for (quint32 number = 1; number <= agencies; ++number) {
        const Agency agency = m_agencies.value(number);
        const protocol::Digest head = agency.digest.current();
        entries.push_back(SealEntry {number, agency.digest.bets(), head});
        totalBets += agency.digest.bets();
        totalWinners += agency.winners.size();
        m_out << "agency " << number << ": " << agency.digest.bets() << " bets, " << agency.batches
              << " batches, " << agency.winners.size() << " winners, sha256 " << digestHex(head)
              << '\n';
    }
    m_out << "bets: " << totalBets << ", winners: " << totalWinners << '\n';
    if (!close) {
        m_out << "sales: open (no close recorded)\n";
        return true;
    }
    const protocol::Digest root = sealRoot(entries);
    m_out << "sales: closed at "
          << QDateTime::fromMSecsSinceEpoch(qint64(close->sequence), Qt::UTC)
                 .toString(Qt::ISODateWithMs)
          << ", reason " << close->agency << ", " << close->betCount << " agencies done\n";
    m_out << "seal: recomputed " << digestHex(root) << '\n';
    if (!recordedRoot) {
        discrepancy(QStringLiteral("the close of sales has no seal record after it"));
    } else if (*recordedRoot != root) {
        discrepancy(QStringLiteral("the seal recorded at the close (%1) is not the seal of the "
                                   "stored bets (%2): rows and journal were changed together "
                                   "after the close (give the agencies' receipts to see whose)")
                        .arg(digestHex(*recordedRoot), digestHex(root)));
    } else {
        m_out << "seal: recorded " << digestHex(*recordedRoot) << " (match)\n";
    }
    return true;
}

bool Audit::checkReceipt(const AgencyReceipt &receipt, const QString &path)
{
    const auto rowsOf = m_batchRows.constFind(receipt.agency);
    RunningDigest digest;
    quint64 sequence = 0;
    if (rowsOf != m_batchRows.constEnd()) {
        for (const auto &[offset, length] : *rowsOf) {
            if (digest.bets() >= receipt.storedBets)
                break;
            ++sequence;
            const std::optional<std::string_view> read = readCsv(offset, length);
            if (!read)
                break; // read before by run(): cannot fail but for an I/O error, said there
            const auto rows = visitRows(*read, [&](quint32, const protocol::BetView &bet) {
                if (digest.bets() < receipt.storedBets)
                    digest.addBet(bet);
            });
            if (!rows)
                break;
        }
    }
    if (digest.bets() < receipt.storedBets) {
        discrepancy(QStringLiteral("receipt %1: agency %2 was told %3 bets are stored; the store "
                                   "holds %4 (acknowledged bets are missing)")
                        .arg(path)
                        .arg(receipt.agency)
                        .arg(receipt.storedBets)
                        .arg(digest.bets()));
        return false;
    }
    if (digest.current() != receipt.digest) {
        discrepancy(QStringLiteral("receipt %1: agency %2's first %3 stored bets (through "
                                   "sequence %4) hash to %5, the receipt says %6: the store does "
                                   "not honour it (a changed, removed, added or reordered row)")
                        .arg(path)
                        .arg(receipt.agency)
                        .arg(receipt.storedBets)
                        .arg(sequence)
                        .arg(digestHex(digest.current()), digestHex(receipt.digest)));
        return false;
    }
    m_out << "receipt " << path << ": agency " << receipt.agency << ", " << receipt.storedBets
          << " bets: honoured\n";
    return true;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("lottery-audit"));
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Checks a lottery's file store without trusting the server: recomputes every agency's "
        "running digest, the seal and the winners from bets.csv and compares them with the "
        "journal and with agencies' receipts (docs/AUDIT.md). Exit 0: all agree; 1: "
        "discrepancies (one DISCREPANCY: line each); 2: usage or unreadable files."));
    parser.addHelpOption();
    const QCommandLineOption storage(QStringLiteral("storage"),
        QStringLiteral("The store's bets.csv (its journal beside it)."), QStringLiteral("file"));
    const QCommandLineOption database(QStringLiteral("database"),
        QStringLiteral("A PostgreSQL store's libpq connection string (the password from "
                       "PGPASSWORD or a pass file), instead of --storage."),
        QStringLiteral("conninfo"));
    const QCommandLineOption receipt(QStringLiteral("receipt"),
        QStringLiteral("An agency's receipt file to check against the store (repeatable)."),
        QStringLiteral("file"));
    parser.addOptions({storage, database, receipt});
    QTextStream out(stdout);
    if (!parser.parse(QCoreApplication::arguments())) {
        out << "lottery-audit: " << parser.errorText() << "\nTry --help.\n";
        return 2;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        out << parser.helpText();
        return 0;
    }
    if (parser.isSet(storage) == parser.isSet(database)
        || !parser.positionalArguments().isEmpty()) {
        out << "lottery-audit: give --storage FILE or --database CONNINFO (and any --receipt "
               "FILE)\nTry --help.\n";
        return 2;
    }
    std::vector<std::pair<QString, AgencyReceipt>> receipts;
    for (const QString &path : parser.values(receipt)) {
        QString error;
        const auto parsed = AgencyReceipt::readFile(path, &error);
        if (!parsed) {
            out << "lottery-audit: " << error << '\n';
            return 2;
        }
        receipts.emplace_back(path, *parsed);
    }
    if (parser.isSet(database))
        return auditDatabase(parser.value(database), receipts, out);
    QElapsedTimer clock;
    clock.start();
    Audit audit(parser.value(storage), out);
    if (!audit.run())
        return 2;
    for (const auto &[path, parsed] : receipts)
        audit.checkReceipt(parsed, path);
    out << (audit.discrepancies() == 0
            ? "result: everything agrees"
            : QStringLiteral("result: %1 discrepancies").arg(audit.discrepancies()))
        << " (" << clock.elapsed() << " ms)\n";
    return audit.discrepancies() == 0 ? 0 : 1;
}
