// What the server's main thread knows at one instant that the metrics do not: its sessions, its
// listener, its shutdown phase, the tasks in the pool. Built by LotteryServer::statusSnapshot() in
// the main thread (cheap: one pass over the sessions) and handed to the admin thread by a
// StatusBoard (a copy: counts and two paths, nothing shared). Counts only.
#pragma once

#include <QHash>
#include <QSet>
#include <QString>

namespace lottery::server {

struct StatusSnapshot {
    quint32 agenciesExpected = 0;
    bool storageOpen = false;
    bool listening = false;
    bool shuttingDown = false;
    int tasksInFlight = 0; // batch and DONE tasks in the pool
    int uploadSlotsInUse = 0; // sessions allowed to read batches now (SERVER_UPLOAD_SLOTS)
    int uploadSlotsWaiting = 0; // sessions whose batches wait in the kernel for a slot
    qint64 uploadBufferBytes = 0; // read buffer the slot holders reserve together
    qint64 uploadBufferLimitBytes = 0; // SERVER_UPLOAD_BUFFER_MB
    int tokenChecksPending = 0; // HELLOs queued for or in their token check
    QString storagePath; // bets.csv; its journal is beside it
    QString journalPath;

    // The close of sales (docs/OPERATIONS.md): scheduled (SERVER_SALES_CLOSE; empty: none), and
    // once closed, why, when, and the seal.
    QString salesCloseScheduled; // ISO 8601
    bool salesClosed = false;
    QString closeReason; // operador | horario | todas_las_agencias
    qint64 closedAtMs = 0;
    quint32 closeAgenciesDone = 0;
    quint64 closeBets = 0;
    QString seal; // 64 hex digits
    bool closeSupported = false; // the store can close and seal (it keeps digests)
    // The agencies the operator disabled (as this instance knows them).
    QSet<quint32> disabledAgencies;

    // Connections by state: before an accepted HELLO, authenticated, parked until the draw.
    int sessionsHandshake = 0;
    int sessionsActive = 0;
    int sessionsWaitingForDraw = 0;
    QHash<quint32, int> sessionsByAgency; // authenticated connections of each agency
    // Set by the admin side: > 0 when the main thread did not answer in time and this is the
    // last snapshot it took, that many ms old (not ready: the agencies' loop is stuck).
    qint64 staleMs = 0;

    int sessionCount() const { return sessionsHandshake + sessionsActive + sessionsWaitingForDraw; }

    void addSession(quint32 agency, bool waitingForDraw)
    {
        if (agency == 0) {
            ++sessionsHandshake;
            return;
        }
        ++sessionsByAgency[agency];
        if (waitingForDraw)
            ++sessionsWaitingForDraw;
        else
            ++sessionsActive;
    }
};

} // namespace lottery::server
