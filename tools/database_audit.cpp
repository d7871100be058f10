#include "tools/database_audit.h"

#include "common/bet_digest.h"
#include "common/stored_bet_row.h"
#include "lottery/protocol/bet.h"

#include <QDateTime>
#include <QMap>

#include <libpq-fe.h>
#include <zlib.h>

#include <optional>
#include <string>
#include <tuple>

namespace lottery {

namespace {

// A libpq result, cleared on destruction.
class Result
{
public:
    explicit Result(PGresult *result) : m_result(result) { }
    ~Result() { PQclear(m_result); }
    Result(const Result &) = delete;
    Result &operator=(const Result &) = delete;
    Result(Result &&other) noexcept : m_result(std::exchange(other.m_result, nullptr)) { }
    Result &operator=(Result &&other) noexcept
    {
        std::swap(m_result, other.m_result);
        return *this;
    }

    bool ok() const
    {
        const ExecStatusType status = m_result ? PQresultStatus(m_result) : PGRES_FATAL_ERROR;
        return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
    }
    int rows() const { return m_result ? PQntuples(m_result) : 0; }
    std::string text(int row, int column) const
    {
        return std::string(PQgetvalue(m_result, row, column),
            static_cast<std::size_t>(PQgetlength(m_result, row, column)));
    }
    quint64 number(int row, int column) const { return std::stoull(text(row, column)); }
    bool isNull(int row, int column) const { return PQgetisnull(m_result, row, column) != 0; }

private:
    PGresult *m_result;
};

// A digest read as encode(.., 'hex'); NULL (an agency with no bets) is the digest of nothing.
std::optional<protocol::Digest> digestOf(const std::string &hex)
{
    if (hex.empty())
        return sha256Of({});
    protocol::Digest digest {};
    if (!parseDigestHex(QString::fromStdString(hex), &digest))
        return std::nullopt;
    return digest;
}

struct Agency {
    RunningDigest digest;
    quint64 batches = 0; // the last sequence seen
    quint64 winners = 0;
};

class DatabaseAudit
{
public:
    explicit DatabaseAudit(QTextStream &out) : m_out(out) { }
    ~DatabaseAudit() { PQfinish(m_db); }
    DatabaseAudit(const DatabaseAudit &) = delete;
    DatabaseAudit &operator=(const DatabaseAudit &) = delete;

    // False: the database cannot be read (exit 2); discrepancies are counted, not failures.
    bool run(const QString &conninfo);
    void checkReceipt(const AgencyReceipt &receipt, const QString &path);
    int discrepancies() const { return m_discrepancies; }

private:
    Result exec(const char *sql, const std::vector<std::string> &parameters = {})
    {
        std::vector<const char *> values;
        for (const std::string &parameter : parameters)
            values.push_back(parameter.c_str());
        return Result(PQexecParams(
            m_db, sql, int(values.size()), nullptr, values.data(), nullptr, nullptr, 0));
    }
    bool cannotRead(const QString &what)
    {
        m_out << "lottery-audit: " << what << ": "
              << QString::fromUtf8(PQerrorMessage(m_db)).trimmed() << '\n';
        return false;
    }
    void discrepancy(const QString &line)
    {
        ++m_discrepancies;
        m_out << "DISCREPANCY: " << line << '\n';
    }

    PGconn *m_db = nullptr;
    QTextStream &m_out;
    int m_discrepancies = 0;
};

bool DatabaseAudit::run(const QString &conninfo)
{
    m_db = PQconnectdb(conninfo.toUtf8().constData());
    if (PQstatus(m_db) != CONNECTION_OK)
        return cannotRead(QStringLiteral("cannot connect to the database"));
    // One snapshot for every read: a running server cannot make the audit disagree with itself.
    if (!exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").ok())
        return cannotRead(QStringLiteral("cannot start a read-only transaction"));
    const Result version = exec("SELECT version FROM schema_version WHERE id = 1");
    if (!version.ok() || version.rows() != 1)
        return cannotRead(QStringLiteral("not a lottery database (no schema_version)"));
    if (version.number(0, 0) < 3) {
        m_out << "lottery-audit: the database has schema " << version.number(0, 0)
              << ", which keeps no digests (3 does): start this version's lottery-server on it "
                 "once to upgrade it\n";
        return false;
    }
    const Result identity = exec("SELECT agencies FROM lottery WHERE id = 1");
    const Result batches = exec("SELECT agency, sequence, bet_count, crc, stored_bets,"
                                " encode(digest, 'hex') FROM batches ORDER BY agency, sequence");
    if (!identity.ok() || identity.rows() != 1 || !batches.ok()
        || !exec("DECLARE audit_rows NO SCROLL CURSOR FOR SELECT agency, sequence, first_name,"
                 " last_name, document, to_char(birthdate, 'YYYY-MM-DD'), number FROM bets"
                 " ORDER BY agency, sequence, ordinal")
                .ok())
        return cannotRead(QStringLiteral("cannot read the lottery's tables"));
    const quint32 expectedAgencies = static_cast<quint32>(identity.number(0, 0));

    Result chunk(nullptr);
    int next = 0;
    bool exhausted = false;
    // The current bets row, or nullopt at the end.
    const auto current = [&]() -> std::optional<int> {
        if (!exhausted && next >= chunk.rows()) {
            chunk = exec("FETCH 20000 FROM audit_rows");
            next = 0;
            exhausted = !chunk.ok() || chunk.rows() == 0;
        }
        if (exhausted)
            return std::nullopt;
        return next;
    };
    const auto keyOf
        = [&](int row) { return std::make_pair(chunk.number(row, 0), chunk.number(row, 1)); };
    const auto skipOrphans = [&](std::pair<quint64, quint64> before) {
        // Bets rows no batch row vouches for (added, or their batch removed).
        QMap<std::pair<quint64, quint64>, quint64> orphans;
        for (auto row = current(); row && keyOf(*row) < before; row = current()) {
            ++orphans[keyOf(*row)];
            ++next;
        }
        for (auto it = orphans.cbegin(); it != orphans.cend(); ++it) {
            discrepancy(QStringLiteral("agency %1 sequence %2: %3 bets rows with no batch row "
                                       "(rows added, or their batch removed)")
                            .arg(it.key().first)
                            .arg(it.key().second)
                            .arg(it.value()));
        }
    };

    QMap<quint32, Agency> agencies;
    for (int i = 0; i < batches.rows(); ++i) {
        const auto key = std::make_pair(batches.number(i, 0), batches.number(i, 1));
        const quint32 number = static_cast<quint32>(key.first);
        const QString which
            = QStringLiteral("agency %1 sequence %2").arg(key.first).arg(key.second);
        Agency &agency = agencies[number];
        if (key.second != agency.batches + 1) {
            discrepancy(QStringLiteral("%1: follows its batch %2 (a batch removed, added or "
                                       "reordered)")
                            .arg(which)
                            .arg(agency.batches));
        }
        agency.batches = key.second;
        skipOrphans(key);
        std::string rows;
        quint64 count = 0;
        for (auto row = current(); row && keyOf(*row) == key; row = current()) {
            const std::string first = chunk.text(*row, 2);
            const std::string last = chunk.text(*row, 3);
            const std::string document = chunk.text(*row, 4);
            const std::string birthdate = chunk.text(*row, 5);
            const protocol::BetView bet(first, last, document, birthdate,
                static_cast<std::uint16_t>(chunk.number(*row, 6)));
            appendStoredBetRow(rows, number, bet);
            agency.digest.addBet(bet);
            agency.winners += protocol::isWinner(bet) ? 1 : 0;
            ++count;
            ++next;
        }
        if (count != batches.number(i, 2)) {
            discrepancy(QStringLiteral("%1: holds %2 rows, its batch row says %3 (rows removed "
                                       "or added)")
                            .arg(which)
                            .arg(count)
                            .arg(batches.number(i, 2)));
        }
        const quint32 crc = static_cast<quint32>(::crc32(
            0L, reinterpret_cast<const Bytef *>(rows.data()), static_cast<uInt>(rows.size())));
        if (crc != batches.number(i, 3)) {
            discrepancy(QStringLiteral("%1: its rows are not the rows stored (CRC): a changed, "
                                       "removed, added or reordered row")
                            .arg(which));
        }
        const std::optional<protocol::Digest> receipt = digestOf(batches.text(i, 5));
        if (batches.isNull(i, 4) || !receipt || batches.number(i, 4) != agency.digest.bets()
            || *receipt != agency.digest.current()) {
            discrepancy(QStringLiteral("%1: its receipt (%2 bets, sha256 %3) is not the digest "
                                       "of the agency's rows through it (%4 bets, %5)")
                            .arg(which, QString::fromStdString(batches.text(i, 4)),
                                QString::fromStdString(batches.text(i, 5)))
                            .arg(agency.digest.bets())
                            .arg(digestHex(agency.digest.current())));
        }
    }
    skipOrphans({~quint64(0), ~quint64(0)});
    exec("CLOSE audit_rows");

    // The agencies' rows against their batches.
    const Result rows = exec("SELECT agency, last_sequence, stored_bets, encode(digest, 'hex')"
                             " FROM agencies ORDER BY agency");
    if (!rows.ok())
        return cannotRead(QStringLiteral("cannot read the agencies"));
    for (int i = 0; i < rows.rows(); ++i) {
        const quint32 number = static_cast<quint32>(rows.number(i, 0));
        const Agency &agency = agencies[number];
        const std::optional<protocol::Digest> head = digestOf(rows.text(i, 3));
        if (rows.number(i, 1) != agency.batches || rows.number(i, 2) != agency.digest.bets()
            || !head || *head != agency.digest.current()) {
            discrepancy(QStringLiteral("agency %1: its row says %2 batches, %3 bets, sha256 %4; "
                                       "its batches and rows give %5, %6, %7")
                            .arg(number)
                            .arg(rows.number(i, 1))
                            .arg(rows.number(i, 2))
                            .arg(QString::fromStdString(rows.text(i, 3)))
                            .arg(agency.batches)
                            .arg(agency.digest.bets())
                            .arg(digestHex(agency.digest.current())));
        }
    }

    m_out << "identity: " << expectedAgencies << " agencies\n";
    quint64 totalBets = 0;
    quint64 totalWinners = 0;
    const quint32 last
        = std::max<quint32>(expectedAgencies, agencies.isEmpty() ? 0 : agencies.lastKey());
    for (quint32 number = 1; number <= last; ++number) {
        const Agency &agency = agencies[number];
        totalBets += agency.digest.bets();
        totalWinners += agency.winners;
        m_out << "agency " << number << ": " << agency.digest.bets() << " bets, " << agency.batches
              << " batches, " << agency.winners << " winners, sha256 "
              << digestHex(agency.digest.current()) << '\n';
    }
    m_out << "bets: " << totalBets << ", winners: " << totalWinners << '\n';

    const Result close = exec("SELECT reason, closed_at_ms, instance, agencies, agencies_done,"
                              " total_bets, encode(seal, 'hex') FROM sales_close WHERE id = 1");
    const Result draw = exec("SELECT bets, winners FROM draw WHERE id = 1");
    if (!close.ok() || !draw.ok())
        return cannotRead(QStringLiteral("cannot read the close of sales"));
    if (close.rows() == 0) {
        m_out << "sales: open (no close recorded)\n";
        if (draw.rows() > 0)
            discrepancy(QStringLiteral("a draw is recorded without a close of sales"));
        return true;
    }
    std::vector<SealEntry> entries;
    const quint32 sealed = static_cast<quint32>(close.number(0, 3));
    quint64 sealedBets = 0;
    for (quint32 number = 1; number <= sealed; ++number) {
        const Agency &agency = agencies[number];
        entries.push_back(SealEntry {number, agency.digest.bets(), agency.digest.current()});
        sealedBets += agency.digest.bets();
    }
    const protocol::Digest root = sealRoot(entries);
    m_out << "sales: closed at "
          << QDateTime::fromMSecsSinceEpoch(qint64(close.number(0, 1)), Qt::UTC)
                 .toString(Qt::ISODateWithMs)
          << " by " << QString::fromStdString(close.text(0, 2)) << ", reason " << close.number(0, 0)
          << ", " << close.number(0, 4) << " agencies done\n";
    m_out << "seal: recomputed " << digestHex(root) << '\n';
    const std::optional<protocol::Digest> recorded = digestOf(close.text(0, 6));
    if (sealed != expectedAgencies) {
        discrepancy(QStringLiteral("the close sealed %1 agencies, the lottery has %2")
                        .arg(sealed)
                        .arg(expectedAgencies));
    }
    if (!recorded || *recorded != root) {
        discrepancy(QStringLiteral("the seal recorded at the close (%1) is not the seal of the "
                                   "stored bets (%2): rows and receipts were changed together "
                                   "after the close (give the agencies' receipts to see whose)")
                        .arg(QString::fromStdString(close.text(0, 6)), digestHex(root)));
    } else {
        m_out << "seal: recorded " << digestHex(*recorded) << " (match)\n";
    }
    if (close.number(0, 5) != sealedBets) {
        discrepancy(QStringLiteral("the close recorded %1 sealed bets, the rows hold %2")
                        .arg(close.number(0, 5))
                        .arg(sealedBets));
    }
    if (draw.rows() == 0) {
        discrepancy(QStringLiteral("sales are closed but no draw is recorded"));
    } else if (draw.number(0, 1) != totalWinners) {
        discrepancy(QStringLiteral("the draw recorded %1 winners, the sealed bets hold %2")
                        .arg(draw.number(0, 1))
                        .arg(totalWinners));
    }
    return true;
}

void DatabaseAudit::checkReceipt(const AgencyReceipt &receipt, const QString &path)
{
    const Result rows = exec("SELECT first_name, last_name, document,"
                             " to_char(birthdate, 'YYYY-MM-DD'), number, sequence FROM bets"
                             " WHERE agency = $1 ORDER BY sequence, ordinal LIMIT $2",
        {std::to_string(receipt.agency), std::to_string(receipt.storedBets)});
    RunningDigest digest;
    quint64 sequence = 0;
    for (int i = 0; rows.ok() && i < rows.rows(); ++i) {
        const std::string first = rows.text(i, 0);
        const std::string last = rows.text(i, 1);
        const std::string document = rows.text(i, 2);
        const std::string birthdate = rows.text(i, 3);
        digest.addBet(protocol::BetView(
            first, last, document, birthdate, static_cast<std::uint16_t>(rows.number(i, 4))));
        sequence = rows.number(i, 5);
    }
    if (digest.bets() < receipt.storedBets) {
        discrepancy(QStringLiteral("receipt %1: agency %2 was told %3 bets are stored; the store "
                                   "holds %4 (acknowledged bets are missing)")
                        .arg(path)
                        .arg(receipt.agency)
                        .arg(receipt.storedBets)
                        .arg(digest.bets()));
        return;
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
        return;
    }
    m_out << "receipt " << path << ": agency " << receipt.agency << ", " << receipt.storedBets
          << " bets: honoured\n";
}

} // namespace

int auditDatabase(const QString &conninfo,
    const std::vector<std::pair<QString, AgencyReceipt>> &receipts, QTextStream &out)
{
    DatabaseAudit audit(out);
    if (!audit.run(conninfo))
        return 2;
    for (const auto &[path, receipt] : receipts)
        audit.checkReceipt(receipt, path);
    out << (audit.discrepancies() == 0
            ? QStringLiteral("result: everything agrees")
            : QStringLiteral("result: %1 discrepancies").arg(audit.discrepancies()))
        << '\n';
    return audit.discrepancies() == 0 ? 0 : 1;
}

} // namespace lottery
