// This agency's winners: the documents the server drew, with the name and number that the local
// bet file holds for each.
#pragma once

#include <QAbstractTableModel>
#include <QList>
#include <QString>

namespace lottery::gui {

struct WinnerRecord {
    QString document;
    QString firstName; // empty with line == 0: the document is not in the local file
    QString lastName;
    int number = -1;
    qint64 line = 0; // line of the bet in the local file, 0 when not found

    bool foundInFile() const { return line > 0; }
    bool operator==(const WinnerRecord &o) const
    {
        return document == o.document && firstName == o.firstName && lastName == o.lastName
            && number == o.number && line == o.line;
    }
};

class WinnersModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { DocumentColumn, FirstNameColumn, LastNameColumn, NumberColumn, ColumnCount };

    using QAbstractTableModel::QAbstractTableModel;

    void setWinners(const QList<WinnerRecord> &winners);
    void clear() { setWinners({}); }
    const QList<WinnerRecord> &winners() const { return m_winners; }

    // CSV (RFC 4180, UTF-8), its header line in the person's language: document,first_name,
    // last_name,number (Spanish: documento,nombre,apellido,número).
    bool exportCsv(const QString &path, QString *errorString = nullptr) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(
        int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QList<WinnerRecord> m_winners;
};

} // namespace lottery::gui
