import { graphql } from './generated/index';

/**
 * Every GraphQL operation the web sends. graphql-codegen (root codegen.ts, client preset) reads these and writes
 * their result and variable types, so components never declare response shapes by hand.
 *
 * Shapes that several operations select are fragments, each defined once below. Codegen adds a fragment's definition
 * to every document that spreads it, and fragment masking is off (codegen.ts), so a query's result type holds the
 * fragment's fields directly; nothing imports the fragment calls themselves.
 */

graphql(`
  fragment PageFields on PageInfo {
    hasNextPage
    endCursor
  }
`);

graphql(`
  fragment UserFields on User {
    id
    email
    name
    role
  }
`);

graphql(`
  fragment PatientFields on Patient {
    id
    name
    patientId
  }
`);

graphql(`
  fragment ModelCardFields on ModelVersion {
    id
    name
    version
    card
  }
`);

/** The six labels the model scores: the study's probability of each, then each slice's. */
graphql(`
  fragment StudyScoreFields on StudyPrediction {
    any
    epidural
    intraparenchymal
    intraventricular
    subarachnoid
    subdural
  }
`);

graphql(`
  fragment SliceScoreFields on SlicePrediction {
    any
    epidural
    intraparenchymal
    intraventricular
    subarachnoid
    subdural
  }
`);

/** Where a study is in the pipeline: what the upload page polls for and both study subscriptions watch. */
graphql(`
  fragment StudyProgressFields on Study {
    id
    status
    triage
    notEligibleReason
    failure {
      message
    }
  }
`);

graphql(`
  fragment ProportionFields on ObservedProportion {
    successes
    total
    estimate
    lower
    upper
  }
`);

graphql(`
  fragment DestinationRefFields on Destination {
    id
    name
  }
`);

export const MeQuery = graphql(`
  query Me {
    me {
      ...UserFields
      passwordChangeRequired
    }
  }
`);

export const LoginMutation = graphql(`
  mutation Login($email: String!, $password: String!) {
    login(email: $email, password: $password) {
      expiresAt
      user {
        id
        role
      }
    }
  }
`);

export const LogoutMutation = graphql(`
  mutation Logout {
    logout
  }
`);

export const ChangePasswordMutation = graphql(`
  mutation ChangePassword($current: String!, $new: String!) {
    changePassword(current: $current, new: $new)
  }
`);

export const ActiveModelQuery = graphql(`
  query ActiveModel {
    activeModel {
      ...ModelCardFields
    }
  }
`);

export const WorklistQuery = graphql(`
  query Worklist($first: Int, $after: String, $filter: StudyFilter) {
    studies(first: $first, after: $after, filter: $filter, orderBy: PRIORITY) {
      totalCount
      pageInfo {
        ...PageFields
      }
      edges {
        cursor
        node {
          id
          accessionNumber
          description
          status
          triage
          anyScore
          positiveLabels
          reviewed
          instanceCount
          receivedAt
          patient {
            ...PatientFields
          }
          prediction {
            id
            ...StudyScoreFields
          }
          failure {
            code
            message
          }
          notEligibleReason
        }
      }
    }
  }
`);

export const StudyQuery = graphql(`
  query Study($id: ID!) {
    study(id: $id) {
      id
      studyInstanceUid
      accessionNumber
      description
      status
      triage
      reviewed
      receivedAt
      instanceCount
      patient {
        ...PatientFields
        birthDate
        sex
      }
      series {
        id
        seriesInstanceUid
        seriesNumber
        description
        modality
        instanceCount
        instances {
          id
          sopInstanceUid
          instanceNumber
          position
          sliceIndex
          rows
          columns
        }
      }
      notEligibleReason
      failure {
        code
        message
        attempts
      }
      prediction {
        id
        ...StudyScoreFields
        triage
        engine
        createdAt
        modelVersion {
          ...ModelCardFields
        }
        slices {
          sliceIndex
          instanceId
          ...SliceScoreFields
        }
      }
      reviews {
        id
        verdict
        comment
        createdAt
        reviewer {
          id
          name
          email
        }
      }
    }
  }
`);

export const ReviewStudyMutation = graphql(`
  mutation ReviewStudy($id: ID!, $verdict: Verdict!, $comment: String) {
    reviewStudy(id: $id, verdict: $verdict, comment: $comment) {
      id
    }
  }
`);

export const UsersQuery = graphql(`
  query Users {
    users {
      ...UserFields
      active
      createdAt
      lastLoginAt
    }
  }
`);

export const CreateUserMutation = graphql(`
  mutation CreateUser($input: CreateUserInput!) {
    createUser(input: $input) {
      id
    }
  }
`);

export const UpdateUserMutation = graphql(`
  mutation UpdateUser($id: ID!, $input: UpdateUserInput!) {
    updateUser(id: $id, input: $input) {
      id
      role
      active
    }
  }
`);

export const ResetPasswordMutation = graphql(`
  mutation ResetPassword($id: ID!, $password: String!) {
    resetPassword(id: $id, password: $password)
  }
`);

export const ApiTokensQuery = graphql(`
  query ApiTokens {
    apiTokens {
      id
      name
      prefix
      scopes
      expiresAt
      revokedAt
      lastUsedAt
      createdAt
      owner {
        id
        email
      }
    }
  }
`);

export const CreateApiTokenMutation = graphql(`
  mutation CreateApiToken($input: CreateApiTokenInput!) {
    createApiToken(input: $input) {
      token
      apiToken {
        id
      }
    }
  }
`);

export const RevokeApiTokenMutation = graphql(`
  mutation RevokeApiToken($id: ID!) {
    revokeApiToken(id: $id) {
      id
      revokedAt
    }
  }
`);

export const ModelVersionsQuery = graphql(`
  query ModelVersions {
    modelVersions {
      ...ModelCardFields
      active
      weightsHash
      createdAt
    }
  }
`);

export const ActivateModelMutation = graphql(`
  mutation ActivateModel($id: ID!) {
    activateModel(id: $id) {
      id
      active
    }
  }
`);

export const ModelPerformanceQuery = graphql(`
  query ModelPerformance($id: ID!, $from: DateTime, $to: DateTime) {
    modelPerformance(modelVersionId: $id, from: $from, to: $to) {
      from
      to
      truePositives
      falsePositives
      falseNegatives
      trueNegatives
      reviewed
      unreviewed
      sensitivity {
        ...ProportionFields
      }
      specificity {
        ...ProportionFields
      }
      ppv {
        ...ProportionFields
      }
      targets {
        sensitivity
        specificity
      }
      checks {
        metric
        target
        minimumReviews
        total
        armed
        firing
      }
      alerts {
        metric
        target
        lowerBound
        estimate
        successes
        total
      }
    }
  }
`);

export const AuditEventsQuery = graphql(`
  query AuditEvents($filter: AuditFilter, $first: Int, $after: String) {
    auditEvents(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo {
        ...PageFields
      }
      edges {
        node {
          seq
          id
          at
          actorType
          actorLabel
          action
          outcome
          resourceType
          resourceId
          patientId
          studyId
          ipAddress
          details
        }
      }
    }
  }
`);

export const VerifyAuditLogQuery = graphql(`
  query VerifyAuditLog {
    verifyAuditLog {
      ok
      checked
      firstBrokenSeq
      reason
      verifiedAt
      running
    }
  }
`);

export const StudyStatusQuery = graphql(`
  query StudyStatus($id: ID!) {
    study(id: $id) {
      ...StudyProgressFields
    }
  }
`);

export const WorklistUpdatedSubscription = graphql(`
  subscription WorklistUpdated {
    worklistUpdated {
      kind
      status
      at
      study {
        id
        triage
      }
    }
  }
`);

export const StudyUpdatedSubscription = graphql(`
  subscription StudyUpdated($id: ID!) {
    studyUpdated(id: $id) {
      ...StudyProgressFields
      reviewed
    }
  }
`);

export const DestinationsQuery = graphql(`
  query Destinations {
    destinations {
      id
      name
      kind
      enabled
      autoSend
      url
      authType
      username
      hasSecret
      host
      port
      calledAet
      callingAet
      updatedAt
      sendCounts {
        queued
        sending
        sent
        failed
      }
    }
    failedSends(first: 50) {
      id
      studyId
      sopInstanceUid
      attempts
      lastErrorCode
      lastError
      createdAt
      destination {
        ...DestinationRefFields
      }
    }
  }
`);

export const CreateDestinationMutation = graphql(`
  mutation CreateDestination($input: DestinationInput!) {
    createDestination(input: $input) {
      ...DestinationRefFields
    }
  }
`);

export const UpdateDestinationMutation = graphql(`
  mutation UpdateDestination($id: ID!, $input: DestinationInput!) {
    updateDestination(id: $id, input: $input) {
      ...DestinationRefFields
    }
  }
`);

export const DeleteDestinationMutation = graphql(`
  mutation DeleteDestination($id: ID!) {
    deleteDestination(id: $id)
  }
`);

export const TestDestinationMutation = graphql(`
  mutation TestDestination($id: ID!) {
    testDestination(id: $id) {
      ok
      message
      durationMs
    }
  }
`);
