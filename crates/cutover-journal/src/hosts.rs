/*!
The engine's records beside the servers' states, read and written: the
old hosts (`hosts`), their actions (`host_actions`) and the servers'
notes (`notes`); from a schema 1 journal, read where it kept them.
*/

use std::collections::BTreeMap;

use cutover_core::id::{HostName, ServerId};
use cutover_core::machine::host::HostState;
use rusqlite::params;

use crate::records::{HookRecord, HostActionEntry, HostEntry, Notes};
use crate::{json, outcome_of, schema, Error, Journal, Result};

impl Journal {
    /// The host actions of `host` (all hosts with `None`), oldest first.
    pub fn host_actions(&self, host: Option<&HostName>) -> Result<Vec<HostActionEntry>> {
        if self.version < 2 {
            return Ok(Vec::new());
        }
        let mut stmt = self
            .conn
            .prepare("SELECT seq, host, action, ok, error FROM host_actions WHERE ?1 IS NULL OR host = ?1 ORDER BY seq")
            .map_err(|e| Error::sql(&self.path, e))?;
        let rows = stmt
            .query_map(params![host.map(HostName::as_str)], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    outcome_of(row.get(3)?, row.get(4)?),
                ))
            })
            .map_err(|e| Error::sql(&self.path, e))?;
        let mut actions = Vec::new();
        for row in rows {
            let (seq, host, action, outcome) = row.map_err(|e| Error::sql(&self.path, e))?;
            let action = self.parse(&format!("action {seq} of host {host}"), &action)?;
            actions.push(HostActionEntry { seq, host: host.into(), action, outcome });
        }
        Ok(actions)
    }

    /// Every server's notes, by source.
    pub fn notes(&self) -> Result<BTreeMap<ServerId, Notes>> {
        let rows: Vec<(String, String)> = match self.version {
            1 => self
                .v1_records()?
                .into_iter()
                .filter_map(|r| match r {
                    schema::V1Record::Notes { source, notes } => Some((source, notes)),
                    schema::V1Record::Host { .. } => None,
                })
                .collect(),
            _ => self.rows("SELECT source, notes FROM notes ORDER BY source")?,
        };
        rows.into_iter()
            .map(|(source, text)| {
                Ok((source.clone().into(), self.parse(&format!("server {source}: its notes"), &text)?))
            })
            .collect()
    }

    /// Saves a server's notes.
    pub fn save_notes(&mut self, source: &ServerId, notes: &Notes) -> Result<()> {
        self.execute(
            "INSERT OR REPLACE INTO notes (source, notes) VALUES (?1, ?2)",
            params![source.as_str(), json(notes)?],
        )
    }

    /// Every old host the journal has a record of, by name.
    pub fn hosts(&self) -> Result<BTreeMap<HostName, HostEntry>> {
        if self.version == 1 {
            return self.v1_hosts();
        }
        let mut stmt = self
            .conn
            .prepare("SELECT name, state, hook, disabled_at, enabled_for_rebuild_at FROM hosts ORDER BY name")
            .map_err(|e| Error::sql(&self.path, e))?;
        let rows = stmt
            .query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, Option<String>>(1)?,
                    row.get::<_, Option<String>>(2)?,
                    row.get::<_, Option<i64>>(3)?,
                    row.get::<_, Option<i64>>(4)?,
                ))
            })
            .map_err(|e| Error::sql(&self.path, e))?;
        let mut hosts = BTreeMap::new();
        for row in rows {
            let (name, state, hook, disabled_at, enabled_for_rebuild_at) =
                row.map_err(|e| Error::sql(&self.path, e))?;
            let entry = HostEntry {
                state: state.map(|t| self.parse(&format!("host {name}: its state"), &t)).transpose()?,
                hook: hook.map(|t| self.parse(&format!("host {name}: its hook"), &t)).transpose()?,
                disabled_at,
                enabled_for_rebuild_at,
            };
            hosts.insert(name.into(), entry);
        }
        Ok(hosts)
    }

    /// Saves an old host's machine state.
    pub fn save_host_state(&mut self, host: &HostName, state: &HostState) -> Result<()> {
        self.set_host_column(host, "state", json(state)?)
    }

    /// Saves an old host's hand-off hook record.
    pub fn save_hook(&mut self, host: &HostName, hook: &HookRecord) -> Result<()> {
        self.set_host_column(host, "hook", json(hook)?)
    }

    /// Notes that the run took `host` out of scheduling at `at`.
    pub fn set_host_disabled(&mut self, host: &HostName, at: i64) -> Result<()> {
        self.set_host_column(host, "disabled_at", at)
    }

    /// Notes that `host` is enabled again for a rebuild there (written
    /// before the call), or, with `None`, disabled again (after the cloud
    /// confirmed it).
    pub fn set_host_enabled_for_rebuild(&mut self, host: &HostName, at: Option<i64>) -> Result<()> {
        self.set_host_column(host, "enabled_for_rebuild_at", at)
    }

    fn set_host_column(&mut self, host: &str, column: &str, value: impl rusqlite::ToSql) -> Result<()> {
        // One statement, so one commit: the row is made with its value.
        let sql = format!(
            "INSERT INTO hosts (name, {column}) VALUES (?1, ?2) ON CONFLICT(name) DO UPDATE SET {column} = excluded.{column}"
        );
        self.execute(&sql, params![host, value])
    }

    fn v1_records(&self) -> Result<Vec<schema::V1Record>> {
        schema::v1_records(&self.conn).map_err(|e| Error::from_schema(&self.path, e))
    }

    /// A version 1 journal's hosts, read where it kept them (a read-only
    /// journal is not migrated).
    fn v1_hosts(&self) -> Result<BTreeMap<HostName, HostEntry>> {
        let mut hosts: BTreeMap<HostName, HostEntry> = BTreeMap::new();
        for record in self.v1_records()? {
            let schema::V1Record::Host { host, column } = record else { continue };
            let what = |field: &str| format!("host {host}: its {field}");
            let entry = hosts.entry(host.clone().into()).or_default();
            match column {
                schema::V1Column::State(text) => entry.state = Some(self.parse(&what("state"), &text)?),
                schema::V1Column::Hook(text) => entry.hook = Some(self.parse(&what("hook"), &text)?),
                schema::V1Column::DisabledAt(at) => entry.disabled_at = Some(at),
                schema::V1Column::EnabledForRebuildAt(at) => entry.enabled_for_rebuild_at = Some(at),
            }
        }
        Ok(hosts)
    }
}
