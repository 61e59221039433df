// English.
import type zh from './zh-CN.js';

const en: typeof zh = {
  app: { title: 'Snap & report', tagline: 'See a problem, snap it, report it' },
  nav: { report: 'Report', reports: 'My reports', inbox: 'Messages', me: 'Me' },
  common: { retry: 'Retry', save: 'Save', cancel: 'Cancel', edit: 'Edit', delete: 'Delete', loading: 'Loading…', more: 'More', offline: 'No network: reports are kept on the phone and sent when the signal returns', back: 'Back' },
  time: { minutes: '{n} min ago', hours: '{n} h ago', days: '{n} days ago' },
  signin: { title: 'Sign in', username: 'Username', password: 'Password', submit: 'Sign in', signout: 'Sign out', language: 'Language' },
  report: {
    photo: 'Take photo', addPhoto: 'Another photo', photos: 'Photos', video: 'Video', shrinking: 'Shrinking photos…',
    category: 'What is it?', chooseCategory: 'Choose what kind of problem it is', noCategory: 'No category', description: 'Details (optional)', descriptionPlaceholder: 'e.g. manhole cover missing, someone nearly fell in',
    emergency: 'Emergency', emergencyHint: 'Turn on when someone could get hurt: the command centre acts at once',
    location: 'Location', locating: 'Finding your location…', located: 'Located (to about {meters} m)', placedByHand: 'Placed on the map', noLocation: 'No location from the phone: place the pin on the map and type the place', place: 'Place', placePlaceholder: 'e.g. outside No. 88 Jinzhu West Road',
    nearbyTitle: 'Cases already open nearby: is it one of these?', metres: '{n} m', same: 'This one', sameChosen: 'Chosen: same problem',
    submit: 'Report', draft: 'Save draft', queued: 'Saved; sending', savedDraft: 'Draft saved', needPhoto: 'Take a photo first', needPlace: 'Turn on location or place the pin on the map', needSomething: 'Add a photo, a voice note or a few words',
  },
  queue: {
    title: 'Waiting to send', empty: 'Nothing waiting to be sent',
    status: { draft: 'Draft', pending: 'Waiting', sending: 'Sending', sent: 'Sent', failed: 'Failed' },
    sentAs: 'Case {ref}', edit: 'Edit and resend', remove: 'Delete draft',
  },
  reports: {
    title: 'My reports', empty: 'No reports yet', steps: 'Progress', before: 'Reported photos', after: 'After the fix', mergedInto: 'Joined case {ref}',
    rate: 'Rate the result', unitAtFault: 'Not satisfied with the unit', comment: 'Comment (optional)', sendRating: 'Send rating', rated: 'My rating', reopen: 'Not fixed: reopen', reason: 'What is still wrong',
  },
  inbox: { title: 'Messages', empty: 'No messages', markAll: 'Mark all read' },
  me: {
    title: 'Me', account: 'Account', points: 'My points', pointsUnit: 'points', held: '{n} being redeemed', language: 'Language', signedInAs: 'Signed in as {name}',
    redeem: 'Redeem', redeemPlaceholder: 'How many points', redeemSubmit: 'Request', redemptionRequested: 'Requested {points} points ({yuan} yuan); paid after approval',
    why: { not_a_member: 'You are not a grid worker yet: verified food-safety reports earn points once you are', not_appointed: 'Your application is being reviewed: points start when you are appointed' },
  },
  errors: {
    offline: 'No network; it will be retried automatically',
    invalid_credentials: 'Wrong username or password',
    account_locked: 'Too many failed sign-ins; try again later',
    too_many_login_attempts: 'Too many sign-in attempts; try again later',
    rate_limited: 'Too many requests; try again in a moment',
    unauthenticated: 'Please sign in',
    invalid_token: 'Your session has ended; sign in again',
    category_not_found: 'That category no longer exists; choose again',
    location_outside_service_area: 'This place is outside the service area',
    description_required: 'Add a few words, a photo or a voice note',
    media_required: 'This kind of problem needs a photo',
    too_many_media: 'Too many photos',
    unsupported: 'That file type is not accepted: send a photo, video or voice note',
    file_too_large: 'The file is too large',
    master_not_found: 'The case you chose is gone; report it as new',
    score_required: 'Give a score first',
    already_rated: 'You have already rated this',
    reopen_requires_dissatisfied_rating: 'Rate it "dissatisfied" first to ask for it to be reopened',
    insufficient_points: 'Not enough points',
    not_a_member: 'You are not a grid worker yet',
    validation_failed: 'Something is wrong in the form: {message}',
    unknown: 'Something went wrong: {message}',
  },
};
export default en;
