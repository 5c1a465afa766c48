//! The scan-all schedule.

use crate::Client;
use crate::Error;
use crate::generated::models::Schedule;
use crate::tasks::schedule::read_schedule;
use crate::tasks::{JobSchedule, Outcome};

/// Creates or updates the schedule on which Harbor scans every artifact.
///
/// # Errors
///
/// Returns the request's [`Error`] when a request fails.
pub async fn ensure_scan_all_schedule(
    client: &Client,
    schedule: &JobSchedule,
) -> Result<Outcome<Schedule>, Error> {
    let actual: Option<Schedule> =
        read_schedule(client, client.get_scan_all_schedule().build()?).await?;
    let request = Schedule {
        schedule: Some(schedule.to_model()),
        ..Schedule::default()
    };
    match actual {
        Some(actual) if actual.schedule.is_some() => {
            if schedule.matches(actual.schedule.as_ref()) {
                return Ok(Outcome::Unchanged(actual));
            }
            client.update_scan_all_schedule(request).send().await?;
            Ok(Outcome::Updated(reread(client).await?))
        }
        _ => {
            if *schedule == JobSchedule::None {
                return Ok(Outcome::Unchanged(actual.unwrap_or_default()));
            }
            client.create_scan_all_schedule(request).send().await?;
            Ok(Outcome::Created(reread(client).await?))
        }
    }
}

async fn reread(client: &Client) -> Result<Schedule, Error> {
    let schedule = read_schedule(client, client.get_scan_all_schedule().build()?).await?;
    Ok(schedule.unwrap_or_default())
}
