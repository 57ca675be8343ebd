//! The response body of an executed request, built in one place from the two halves that
//! answer it: async-graphql's `Response` (root fields resolved field by field, the errors,
//! the extensions) and the planned root fields' JSON, kept per response key in the request's
//! [`PlannedAnswers`]. A planned root field resolves as `null` in async-graphql's data and is
//! written from its JSON here; nothing else reads or writes that JSON.

use std::sync::{Arc, Mutex, MutexGuard};

use async_graphql::{Name, Response, ServerError, Value};

/// The JSON answers of a request's planned root fields, by response key: one per key,
/// rendered once and copied once, into the body.
#[derive(Debug, Default)]
pub struct PlannedAnswers {
    answers: Mutex<Vec<(Name, Vec<u8>)>>,
}

impl PlannedAnswers {
    /// Keeps the answer of the root field under `key`.
    pub(crate) fn keep(&self, key: Name, json: Vec<u8>) {
        let mut answers = self.lock();
        match answers.iter_mut().find(|(kept, _)| *kept == key) {
            Some((_, kept)) => *kept = json,
            None => answers.push((key, json)),
        }
    }

    /// Whether the root field under `key` was answered by its plan.
    pub(crate) fn holds(&self, key: &str) -> bool {
        self.lock().iter().any(|(kept, _)| kept.as_str() == key)
    }

    fn lock(&self) -> MutexGuard<'_, Vec<(Name, Vec<u8>)>> {
        // A panic while holding the lock left a whole list: every push and swap completes.
        self.answers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A request's execution: async-graphql's response and its planned root fields' answers.
pub struct Executed {
    pub response: Response,
    pub planned: Arc<PlannedAnswers>,
}

impl Executed {
    /// An answer of errors alone, met before or instead of execution: no data, no planned
    /// answer.
    pub fn from_errors(errors: Vec<ServerError>) -> Self {
        Executed {
            response: Response::from_errors(errors),
            planned: Arc::default(),
        }
    }
}

/// A response body, serialised once.
#[derive(Debug)]
pub struct ResponseBody {
    /// `data` and `errors` as the specification has them.
    pub bytes: Vec<u8>,
    /// Whether the request failed before execution (parse, validation, limits): errors with no
    /// path, and no data.
    pub request_failed: bool,
}

/// The body of an executed request: its data, with each planned root field's JSON written
/// under its response key, and its errors.
pub fn respond(executed: &Executed) -> Result<ResponseBody, serde_json::Error> {
    let Executed { response, planned } = executed;
    let request_failed = response.data == Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    let data = (!request_failed).then_some(&response.data);
    let planned = planned.lock();
    let bytes = body(data, &planned, &response.errors)?;
    Ok(ResponseBody {
        bytes,
        request_failed,
    })
}

fn body(
    data: Option<&Value>,
    planned: &[(Name, Vec<u8>)],
    errors: &[ServerError],
) -> Result<Vec<u8>, serde_json::Error> {
    let planned_bytes: usize = match data {
        Some(Value::Object(_)) => planned.iter().map(|(_, json)| json.len()).sum(),
        _ => 0,
    };
    let mut body = Vec::with_capacity(4096 + planned_bytes);
    body.push(b'{');
    if let Some(data) = data {
        body.extend_from_slice(b"\"data\":");
        match data {
            Value::Object(members) => {
                body.push(b'{');
                for (index, (key, value)) in members.iter().enumerate() {
                    if index > 0 {
                        body.push(b',');
                    }
                    serde_json::to_writer(&mut body, key.as_str())?;
                    body.push(b':');
                    match planned.iter().find(|(planned, _)| planned == key) {
                        Some((_, json)) => body.extend_from_slice(json),
                        None => serde_json::to_writer(&mut body, value)?,
                    }
                }
                body.push(b'}');
            }
            data => serde_json::to_writer(&mut body, data)?,
        }
    }
    if !errors.is_empty() {
        if data.is_some() {
            body.push(b',');
        }
        body.extend_from_slice(b"\"errors\":");
        serde_json::to_writer(&mut body, errors)?;
    }
    body.push(b'}');
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::indexmap::IndexMap;

    fn executed(data: Value, planned: &[(&str, &str)]) -> Executed {
        let answers = PlannedAnswers::default();
        for (key, json) in planned {
            answers.keep(Name::new(key), json.as_bytes().to_vec());
        }
        let mut response = Response::new(data);
        response.errors = Vec::new();
        Executed {
            response,
            planned: Arc::new(answers),
        }
    }

    fn body_text(executed: &Executed) -> String {
        match respond(executed) {
            Ok(body) => String::from_utf8_lossy(&body.bytes).into_owned(),
            Err(error) => panic!("no body: {error}"),
        }
    }

    #[test]
    fn a_planned_answer_is_written_under_its_key_in_the_datas_order() {
        let mut members = IndexMap::new();
        members.insert(Name::new("first"), Value::Null);
        members.insert(Name::new("typed"), Value::String("Query".to_owned()));
        members.insert(Name::new("missing"), Value::Null);
        let executed = executed(Value::Object(members), &[("first", "{\"totalCount\":3}")]);

        assert_eq!(
            body_text(&executed),
            "{\"data\":{\"first\":{\"totalCount\":3},\"typed\":\"Query\",\"missing\":null}}"
        );
    }

    #[test]
    fn data_nulled_by_a_failed_root_field_writes_no_planned_answer() {
        let executed = executed(Value::Null, &[("first", "{\"totalCount\":3}")]);

        assert_eq!(body_text(&executed), "{\"data\":null}");
    }

    #[test]
    fn a_request_that_failed_before_execution_has_no_data() {
        let executed = Executed::from_errors(vec![ServerError::new("bad", None)]);

        let body = match respond(&executed) {
            Ok(body) => body,
            Err(error) => panic!("no body: {error}"),
        };

        assert!(body.request_failed);
        assert_eq!(
            String::from_utf8_lossy(&body.bytes),
            "{\"errors\":[{\"message\":\"bad\"}]}"
        );
    }
}
