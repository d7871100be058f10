// Who is connected, and as which agency. Main thread only. The one owner of:
//   - every Session (deleted from the event loop once closed: a session may be inside one of
//     its own handlers when it closes);
//   - the live session of each agency (a new one supersedes the previous: takeOver());
//   - the agencies the operator disabled, as this instance knows them, and the sessions of an
//     agency disabled while a task of theirs was in flight (closed once it is answered).
// Bound: the sessions are the connections ConnectionListener admitted (its limit, read here).
#pragma once

#include <QHash>
#include <QObject>
#include <QSet>

#include <vector>

namespace lottery::server {

class Session;

class AgencyRegistry : public QObject
{
    Q_OBJECT
public:
    explicit AgencyRegistry(QObject *parent = nullptr) : QObject(parent) { }
    ~AgencyRegistry() override;
    AgencyRegistry(const AgencyRegistry &) = delete;
    AgencyRegistry &operator=(const AgencyRegistry &) = delete;

    // A new connection's session, owned from now on.
    void add(Session *session);
    Session *find(quint64 id) const { return m_sessions.value(id, nullptr); }
    int count() const { return static_cast<int>(m_sessions.size()); }
    // Every session (in no particular order), for a loop that may close some of them.
    QList<Session *> sessions() const { return m_sessions.values(); }
    // Calls `visit` with every session; `visit` must not close any.
    template<typename Visit> void forEachSession(Visit visit) const
    {
        for (Session *session : m_sessions)
            visit(session);
    }

    // `session` is `agency`'s live session from now on; the previous one (not closing, not
    // this one), if any, is returned for the caller to supersede.
    Session *takeOver(Session &session, quint32 agency);
    Session *liveSession(quint32 agency) const;

    // The session's connection closed: it is forgotten (and so is its claim on its agency if it
    // still was the live one) and deleted from the event loop. False when it was not owned
    // any more (dropAll() retired it already).
    bool retire(Session &session);
    // Shutdown: every session still here, forgotten and deleted from the event loop; the caller
    // aborts them first.
    QList<Session *> dropAll();

    // The operator's switches as this instance knows them (its own, read at start, learned
    // from welcomes).
    void setDisabledAgencies(const QSet<quint32> &agencies) { m_disabled = agencies; }
    void setDisabled(quint32 agency, bool disabled);
    bool isDisabled(quint32 agency) const { return m_disabled.contains(agency); }
    const QSet<quint32> &disabledAgencies() const { return m_disabled; }
    // A session of an agency disabled while it had a task in flight: closed once answered.
    void closeWhenAnswered(quint64 session) { m_closeWhenAnswered.insert(session); }
    // The agency was enabled again before the answer: the session stays.
    void keepOpen(quint64 session) { m_closeWhenAnswered.remove(session); }
    // True (once) when the session is to close now that its task is answered.
    bool takeCloseWhenAnswered(quint64 session) { return m_closeWhenAnswered.remove(session); }

private:
    void deleteRetired();

    QHash<quint64, Session *> m_sessions; // owned
    std::vector<Session *> m_retired; // closed, owned until deleteRetired()
    QHash<quint32, quint64> m_liveByAgency;
    QSet<quint32> m_disabled;
    QSet<quint64> m_closeWhenAnswered;
};

} // namespace lottery::server
