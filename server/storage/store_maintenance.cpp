#include "server/storage/store_maintenance.h"

#include "server/storage/journal_replay.h"
#include "server/storage/postgres_bet_store.h"

#include "common/log.h"

#include <unistd.h>

namespace lottery::server {

namespace {

constexpr int kExitDone = 0;
constexpr int kExitFailed = 1;
constexpr int kExitRefused = 2;

// The store's two files (openStoreFiles: a missing one stays missing beside data), open for the
// length of one action.
class StoreFiles
{
public:
    explicit StoreFiles(const QString &csvPath)
        : m_csvPath(csvPath), m_journalPath(csvPath + QStringLiteral(".journal"))
    {
    }
    ~StoreFiles()
    {
        if (m_csvFd >= 0)
            ::close(m_csvFd);
        if (m_journalFd >= 0)
            ::close(m_journalFd);
    }
    StoreFiles(const StoreFiles &) = delete;
    StoreFiles &operator=(const StoreFiles &) = delete;

    bool open(QString *error)
    {
        return journal::openStoreFiles(m_csvPath, m_journalPath, &m_csvFd, &m_journalFd, error);
    }
    journal::Replay replay() const
    {
        return journal::Replay(m_csvPath, m_csvFd, m_journalPath, m_journalFd);
    }

    const QString &csvPath() const { return m_csvPath; }
    const QString &journalPath() const { return m_journalPath; }
    int csvFd() const { return m_csvFd; }
    int journalFd() const { return m_journalFd; }

private:
    const QString m_csvPath;
    const QString m_journalPath;
    int m_csvFd = -1;
    int m_journalFd = -1;
};

int syncFd(int fd)
{
    return ::fdatasync(fd);
}

int repairFileStore(const ServerConfig &config)
{
    StoreFiles files(config.storagePath);
    QString error;
    if (!files.open(&error)) {
        LOTTERY_LOG_FAIL("reparacion").field(u"storage", files.csvPath()).field(u"error", error);
        return kExitFailed;
    }
    journal::Replay replay = files.replay();
    using Verdict = journal::Replay::Verdict;
    const Verdict verdict = replay.run();
    if (verdict == Verdict::Failed) {
        LOTTERY_LOG_FAIL("reparacion")
            .field(u"storage", files.csvPath())
            .field(u"error", replay.error())
            .field(u"changed", "nothing");
        return kExitFailed;
    }
    if (verdict == Verdict::Clean) {
        LOTTERY_LOG_SUCCESS("reparacion")
            .field(u"storage", files.csvPath())
            .field(u"moved_bytes", 0)
            .field(u"detail", "nothing to repair: the journal vouches for every byte");
        return kExitDone;
    }
    const QString reason = verdict == Verdict::Damaged
        ? QStringLiteral("%1 at byte %2: %3")
              .arg(replay.damage().file)
              .arg(replay.damage().offset)
              .arg(replay.damage().problem)
        : QStringLiteral("a torn tail: %1").arg(replay.tailDescription());
    const journal::RepairResult moved
        = journal::moveBeyondPrefix(replay, files.csvPath(), files.csvFd(), files.journalPath(),
            files.journalFd(), journal::sideFileSuffix(QStringLiteral("damaged")), syncFd);
    if (!moved.ok) {
        LOTTERY_LOG_FAIL("reparacion")
            .field(u"storage", files.csvPath())
            .field(u"reason", reason)
            .field(u"error", moved.error)
            .field(u"changed",
                "nothing cut: side files made so far are copies, the store is as it was");
        return kExitFailed;
    }
    LogLine line = LOTTERY_LOG_SUCCESS("reparacion"); // written when the function returns
    line.field(u"storage", files.csvPath())
        .field(u"reason", reason)
        .field(u"kept_bytes", replay.keptCsv())
        .field(u"kept_records", replay.records())
        .field(u"moved_bytes", moved.csvMoved)
        .field(u"moved_to", moved.csvSideFile.isEmpty() ? QStringLiteral("-") : moved.csvSideFile)
        .field(u"journal_moved_bytes", moved.journalMoved)
        .field(u"journal_moved_to",
            moved.journalSideFile.isEmpty() ? QStringLiteral("-") : moved.journalSideFile)
        .field(
            u"lost", replay.beyondPrefix().isEmpty() ? QStringLiteral("-") : replay.beyondPrefix())
        .field(u"next",
            "start the server: each agency's WELCOME gives what remains, and an agency with its "
            "file resends the rest");
    return kExitDone;
}

int setFileStoreAgencies(const ServerConfig &config, quint32 agencies)
{
    StoreFiles files(config.storagePath);
    QString error;
    if (!files.open(&error)) {
        LOTTERY_LOG_FAIL("identidad").field(u"storage", files.csvPath()).field(u"error", error);
        return kExitFailed;
    }
    journal::Replay replay = files.replay();
    using Verdict = journal::Replay::Verdict;
    const Verdict verdict = replay.run();
    const auto refuse = [&](const QString &why) {
        LOTTERY_LOG_FAIL("identidad")
            .field(u"storage", files.csvPath())
            .field(u"agencies", agencies)
            .field(u"error", why)
            .field(u"changed", "nothing");
        return kExitRefused;
    };
    if (verdict == Verdict::Failed) {
        LOTTERY_LOG_FAIL("identidad")
            .field(u"storage", files.csvPath())
            .field(u"error", replay.error());
        return kExitFailed;
    }
    if (verdict == Verdict::Damaged) {
        return refuse(QStringLiteral("the store is damaged (%1 at byte %2: %3): run "
                                     "lottery-server --repair first")
                          .arg(replay.damage().file)
                          .arg(replay.damage().offset)
                          .arg(replay.damage().problem));
    }
    for (auto it = replay.agencies().cbegin(); it != replay.agencies().cend(); ++it) {
        if (it->done) {
            return refuse(QStringLiteral("agency %1 is done: the agency count is final once an "
                                         "agency has finished")
                              .arg(it.key()));
        }
    }
    for (auto it = replay.agencies().cbegin(); it != replay.agencies().cend(); ++it) {
        if (it.key() > agencies && it->bets > 0) {
            return refuse(QStringLiteral("agency %1 has %2 stored bets, so the lottery cannot "
                                         "have fewer than %1 agencies")
                              .arg(it.key())
                              .arg(it->bets));
        }
    }
    if (replay.identity() == agencies) {
        LOTTERY_LOG_SUCCESS("identidad")
            .field(u"storage", files.csvPath())
            .field(u"agencies", agencies)
            .field(u"origin", "--set-agencies: already recorded, nothing written");
        return kExitDone;
    }
    if (verdict == Verdict::TornTail) {
        // As the server's own start would: a crash's tail holds nothing acknowledged.
        const journal::RepairResult moved
            = journal::moveBeyondPrefix(replay, files.csvPath(), files.csvFd(), files.journalPath(),
                files.journalFd(), journal::sideFileSuffix(QStringLiteral("torn")), syncFd);
        if (!moved.ok) {
            LOTTERY_LOG_FAIL("identidad")
                .field(u"storage", files.csvPath())
                .field(u"error", moved.error);
            return kExitFailed;
        }
        LOTTERY_LOG_SUCCESS("recuperacion")
            .field(u"storage", files.csvPath())
            .field(u"torn_tail", replay.tailDescription())
            .field(u"dropped", replay.beyondPrefix())
            .field(u"kept_copy",
                QStringList {moved.csvSideFile, moved.journalSideFile}.join(u' ').trimmed());
    }
    if (!journal::appendRecord(files.journalFd(), replay.keptJournal(),
            journal::identityRecord(agencies, replay.keptCsv()), syncFd, &error)) {
        LOTTERY_LOG_FAIL("identidad").field(u"storage", files.csvPath()).field(u"error", error);
        return kExitFailed;
    }
    LOTTERY_LOG_SUCCESS("identidad")
        .field(u"storage", files.csvPath())
        .field(u"agencies", agencies)
        .field(u"before",
            replay.identity() ? QString::number(*replay.identity()) : QStringLiteral("none"))
        .field(u"origin", "--set-agencies");
    return kExitDone;
}

} // namespace

int repairStore(const ServerConfig &config)
{
    if (config.usesDatabase()) {
        LOTTERY_LOG_FAIL("reparacion")
            .field(u"store", "postgresql")
            .field(u"error",
                "--repair is for the file store: PostgreSQL recovers from its own write-ahead "
                "log and never leaves a torn tail");
        return kExitFailed;
    }
    return repairFileStore(config);
}

int setStoreAgencies(const ServerConfig &config, quint32 agencies)
{
    if (!config.usesDatabase())
        return setFileStoreAgencies(config, agencies);
    // A database without the schema yet is created for the new count directly.
    PostgresBetStore store(config.database, agencies);
    QString message;
    const auto change = store.setAgencies(agencies, &message);
    store.close();
    using Change = PostgresBetStore::AgenciesChange;
    if (change == Change::Changed || change == Change::Unchanged) {
        LOTTERY_LOG_SUCCESS("identidad")
            .field(u"store", store.describe())
            .field(u"agencies", agencies)
            .field(u"origin", "--set-agencies")
            .field(u"detail", message);
        return kExitDone;
    }
    LOTTERY_LOG_FAIL("identidad")
        .field(u"store", store.describe())
        .field(u"agencies", agencies)
        .field(u"error", message)
        .field(u"changed", "nothing");
    return change == Change::Refused ? kExitRefused : kExitFailed;
}

} // namespace lottery::server
