//! Schedules of system jobs: garbage collection, audit-log purge and scan-all.

use serde::de::DeserializeOwned;

use crate::Error;
use crate::generated::models::{ScheduleObj, ScheduleObjType};
use crate::tasks::Cron;
use crate::{Client, Request};

/// When a system job runs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum JobSchedule {
    /// Never runs on its own.
    None,
    /// Every hour, at minute 0 (`0 0 * * * *`).
    Hourly,
    /// Every day at midnight, in the Harbor server's time zone (`0 0 0 * * *`).
    Daily,
    /// Every Sunday at midnight (`0 0 0 * * 0`).
    Weekly,
    /// On a custom cron schedule.
    Custom(Cron),
}

impl JobSchedule {
    /// Returns Harbor's schedule type name.
    fn type_name(&self) -> ScheduleObjType {
        match self {
            Self::None => ScheduleObjType::None,
            Self::Hourly => ScheduleObjType::Hourly,
            Self::Daily => ScheduleObjType::Daily,
            Self::Weekly => ScheduleObjType::Weekly,
            Self::Custom(_) => ScheduleObjType::Custom,
        }
    }

    /// Returns the cron Harbor stores for this schedule.
    fn cron(&self) -> Option<&str> {
        match self {
            Self::None => None,
            Self::Hourly => Some("0 0 * * * *"),
            Self::Daily => Some("0 0 0 * * *"),
            Self::Weekly => Some("0 0 0 * * 0"),
            Self::Custom(cron) => Some(cron.as_str()),
        }
    }

    /// Converts to Harbor's model.
    pub fn to_model(&self) -> ScheduleObj {
        ScheduleObj {
            r#type: Some(self.type_name()),
            cron: self.cron().map(str::to_owned),
            next_scheduled_time: None,
        }
    }

    /// Reports whether Harbor's stored schedule `actual` is this one. A missing schedule equals
    /// [`JobSchedule::None`].
    pub fn matches(&self, actual: Option<&ScheduleObj>) -> bool {
        // Older Harbor versions return an empty schedule object instead of none.
        let actual_type = actual
            .and_then(|schedule| schedule.r#type.clone())
            .filter(|kind| *kind != ScheduleObjType::Unknown(String::new()))
            .unwrap_or(ScheduleObjType::None);
        if actual_type != self.type_name() {
            return false;
        }
        match self {
            Self::None => true,
            _ => {
                let actual_cron = actual
                    .and_then(|schedule| schedule.cron.as_deref())
                    .map(|cron| cron.split_whitespace().collect::<Vec<_>>().join(" "));
                actual_cron.as_deref() == self.cron()
            }
        }
    }
}

/// Sends a schedule read and decodes the body, or returns `None` when there is no schedule.
///
/// When no schedule exists, the GC and purge handlers of recent Harbor 2.x versions return `200`
/// with an empty body, which is not JSON, so the generated `send` would fail to decode it. A 404
/// also counts as no schedule.
pub(crate) async fn read_schedule<T: DeserializeOwned>(
    client: &Client,
    request: Request,
) -> Result<Option<T>, Error> {
    let operation = crate::Operation {
        id: request.operation_id,
        method: request.method.clone(),
        path_template: request.path_template,
    };
    let body = match client.execute_text(request).await {
        Ok(body) => body,
        Err(error) if error.is_not_found() => return Ok(None),
        Err(error) => return Err(error),
    };
    let body = body.trim();
    if body.is_empty() || body == "null" {
        return Ok(None);
    }
    serde_json::from_str(body)
        .map(Some)
        .map_err(|error| crate::Error::Decode {
            operation,
            request_id: "unknown".to_owned(),
            source: Box::new(crate::DecodeError::describe::<T>(body.as_bytes(), &error)),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_match_their_model() {
        let custom = JobSchedule::Custom(Cron::parse("0 0 3 * * 6").unwrap());
        for schedule in [
            JobSchedule::None,
            JobSchedule::Hourly,
            JobSchedule::Daily,
            JobSchedule::Weekly,
            custom.clone(),
        ] {
            assert!(schedule.matches(Some(&schedule.to_model())), "{schedule:?}");
        }
        assert!(JobSchedule::None.matches(None));
        let empty = ScheduleObj {
            r#type: Some(ScheduleObjType::Unknown(String::new())),
            ..ScheduleObj::default()
        };
        assert!(JobSchedule::None.matches(Some(&empty)));
        assert!(!custom.matches(Some(&JobSchedule::Daily.to_model())));
        let other_cron = JobSchedule::Custom(Cron::parse("0 0 4 * * 6").unwrap());
        assert!(!custom.matches(Some(&other_cron.to_model())));
    }
}
