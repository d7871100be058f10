// What the operator console reports (docs/ADMIN.md): counters, the commit-time histogram, the
// ingest rate of the last minutes, the draw's state and the recent errors. The server records
// here from its main thread, once per worker task's result (never per bet); the admin endpoint
// reads a copy. One QMutex guards everything, so any thread may record or read.
//
// Counts only: no names, no document numbers, no error texts that could carry them.
#pragma once

#include "server/net/peer_limits.h"
#include "server/pipeline/worker_tasks.h"
#include "server/server_events.h"

#include "lottery/protocol/messages.h"

#include <QHash>
#include <QMap>
#include <QMutex>
#include <QString>

#include <array>
#include <deque>
#include <vector>

namespace lottery::server {

class ServerMetrics : public ServerEvents
{
public:
    // Upper bounds (seconds) of lottery_commit_duration_seconds; +Inf is implicit.
    static constexpr std::array<double, 14> kCommitBuckets {
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0};
    // Seconds of bets-per-second history kept for the dashboard's chart.
    static constexpr int kRateHistorySeconds = 600;
    // Recent errors kept for the dashboard.
    static constexpr int kRecentErrors = 50;

    enum class BatchResult { Stored, Duplicate, Rejected, Malformed, Stopped };
    static constexpr int kBatchResults = 5;
    static QString toString(BatchResult result);

    enum class DrawState { Waiting, Running, Completed, Failed };
    static QString toString(DrawState state);

    struct Agency {
        quint64 betsStored = 0; // durable, recovered ones included
        quint64 batchesStored = 0; // durable batches, recovered ones included
        quint64 duplicates = 0; // resent batches acknowledged again (this run)
        quint64 rejected = 0; // batches refused with REJECT (this run)
        qint64 lastBatchMs = 0; // epoch ms of the last stored batch (this run), 0: none
        bool done = false;
        qint64 winners = -1; // -1 until the draw has completed
    };

    struct RecentError {
        qint64 atMs = 0; // epoch ms
        quint32 agency = 0; // 0: not known (before HELLO)
        QString code; // protocol::toString(ErrorCode)
        QString source; // "reject" (one batch) or "error" (the connection was closed)
        QString peer; // the peer's address; empty: not known
        quint32 claimedAgency = 0; // agency 0: the number its refused HELLO claimed (0: none)
    };

    struct Histogram {
        std::array<quint64, kCommitBuckets.size()> buckets {}; // non-cumulative
        quint64 count = 0;
        double sum = 0;
    };

    struct Snapshot {
        qint64 takenAtMs = 0;
        qint64 startedAtMs = 0;
        QHash<quint32, Agency> agencies;
        std::array<quint64, kBatchResults> batches {};
        quint64 betsStored = 0;
        QMap<QString, quint64> rejectionsByCode;
        QMap<QString, quint64> errorsByCode;
        Histogram commit;
        // Bets stored in each of the last kRateHistorySeconds seconds, oldest first; the last
        // entry is the current (partial) second.
        std::vector<quint64> betsPerSecond;
        std::vector<RecentError> recentErrors; // newest last
        DrawState draw = DrawState::Waiting;
        quint64 drawWinners = 0;
        quint64 drawBets = 0;
        qint64 drawMs = 0;
        qint64 drawFinishedAtMs = 0;
        QString storageFailure; // empty: none seen
        std::array<quint64, kPeerLimits> peerLimits {}; // by PeerLimit
        // Lines suppressed by each log rate limiter of the process, by action.
        QMap<QString, quint64> logLinesSuppressed;
    };

    ServerMetrics();

    // Seeds an agency from the storage's recovery (before any session).
    void restoreAgency(quint32 agency, quint64 bets, quint64 batches, bool done);
    // One worker task's outcomes, in order, and how long the task took (validate, write, sync).
    // peer: the session's address, for the recent errors.
    void recordBatches(quint32 agency, const std::vector<BatchOutcome> &outcomes, qint64 taskNs,
        const QString &peer = QString());
    // DONE stored (error empty) or failed.
    void recordDone(quint32 agency, const QString &error);
    // An ERROR frame sent to a peer (the connection closes); agency 0 before HELLO. Routine
    // closes (shutting_down, superseded) are counted but kept out of the recent errors.
    // claimedAgency: the number a refused HELLO claimed (invalid_agency, unauthorized), 0: none.
    void recordError(quint32 agency, protocol::ErrorCode code, const QString &peer = QString(),
        quint32 claimedAgency = 0);
    // A peer ran into one of the limits of server/net/peer_limits.h.
    void recordLimit(PeerLimit limit);
    void recordDrawStarted();
    void recordDrawFinished(const DrawResult &result, qint64 elapsedMs);

    Snapshot snapshot() const;

    // ServerEvents: the server's reports, recorded as above.
    void agencyRecovered(quint32 agency, quint64 bets, quint64 batches, bool done) override
    {
        restoreAgency(agency, bets, batches, done);
    }
    void batchesDecided(quint32 agency, const std::vector<BatchOutcome> &outcomes, qint64 taskNs,
        const QString &peer) override
    {
        recordBatches(agency, outcomes, taskNs, peer);
    }
    void doneDecided(quint32 agency, const QString &error) override { recordDone(agency, error); }
    void errorSent(quint32 agency, protocol::ErrorCode code, const QString &peer,
        quint32 claimedAgency) override
    {
        recordError(agency, code, peer, claimedAgency);
    }
    void limitReached(PeerLimit limit) override { recordLimit(limit); }
    void drawStarted() override { recordDrawStarted(); }
    void drawFinished(const DrawResult &result, qint64 elapsedMs) override
    {
        recordDrawFinished(result, elapsedMs);
    }

private:
    void addError(quint32 agency, const QString &code, const QString &source, const QString &peer,
        qint64 nowMs, quint32 claimedAgency = 0);
    void addRate(quint64 bets, qint64 nowMs);

    mutable QMutex m_mutex;
    const qint64 m_startedAtMs;
    QHash<quint32, Agency> m_agencies;
    std::array<quint64, kBatchResults> m_batches {};
    quint64 m_betsStored = 0;
    QMap<QString, quint64> m_rejectionsByCode;
    QMap<QString, quint64> m_errorsByCode;
    Histogram m_commit;
    // Ring of bets per epoch second: slot = second % size, valid when m_rateSecond[slot] matches.
    std::array<quint64, kRateHistorySeconds + 1> m_rateBets {};
    std::array<qint64, kRateHistorySeconds + 1> m_rateSecond {};
    std::deque<RecentError> m_recentErrors;
    DrawState m_draw = DrawState::Waiting;
    quint64 m_drawWinners = 0;
    quint64 m_drawBets = 0;
    qint64 m_drawMs = 0;
    qint64 m_drawFinishedAtMs = 0;
    QString m_storageFailure;
    std::array<quint64, kPeerLimits> m_peerLimits {};
};

} // namespace lottery::server
