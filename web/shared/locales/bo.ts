// Tibetan. Written for the programme's riders; to be reviewed by the subdistrict's translators.
import type zh from './zh-CN.js';

const bo: typeof zh = {
  app: { title: 'པར་བརྒྱབ་སྙན་ཞུ།', tagline: 'དཀའ་ངལ་མཐོང་ན་པར་བརྒྱབ་ནས་སྙན་ཞུ་གནང་།' },
  nav: { report: 'སྙན་ཞུ།', reports: 'ངའི་སྙན་ཞུ།', inbox: 'བརྡ་འཕྲིན།', me: 'ང་།' },
  common: { retry: 'ཡང་བསྐྱར་ཚོད་ལྟ།', save: 'ཉར་ཚགས།', cancel: 'མཚམས་འཇོག', edit: 'བཟོ་བཅོས།', delete: 'བསུབ་པ།', loading: 'འཇུག་བཞིན་པ།…', more: 'མང་བ།', offline: 'དྲ་བ་མེད། སྙན་ཞུ་ཁ་པར་ནང་ཉར་ནས་དྲ་བ་ཡོང་དུས་རང་འགུལ་གཏོང་།', back: 'ཕྱིར་ལོག' },
  time: { minutes: 'སྐར་མ་ {n} སྔོན།', hours: 'ཆུ་ཚོད་ {n} སྔོན།', days: 'ཉིན་ {n} སྔོན།' },
  signin: { title: 'ནང་འཛུལ།', username: 'རྩིས་ཐོ།', password: 'གསང་ཨང་།', submit: 'ནང་འཛུལ།', signout: 'ཕྱིར་ཐོན།', language: 'སྐད་ཡིག' },
  report: {
    photo: 'པར་རྒྱག', addPhoto: 'པར་གཞན་ཞིག', photos: 'པར།', video: 'བརྙན་འཕྲིན།', shrinking: 'པར་ཆུང་དུ་གཏོང་བཞིན་པ།…',
    category: 'དཀའ་ངལ་གྱི་རིགས།', chooseCategory: 'དཀའ་ངལ་གྱི་རིགས་འདེམས་རོགས།', noCategory: 'རིགས་མ་འདེམས།', description: 'གསལ་བཤད། (མི་འབྲི་ཡང་ཆོག)', descriptionPlaceholder: 'དཔེར་ན། ས་འོག་ཁུང་བུའི་ཁ་གཡོགས་མེད།',
    emergency: 'ཛ་དྲག', emergencyHint: 'མིའི་སྲོག་ལ་ཉེན་ཁ་ཡོད་ན་ཁ་ཕྱེ། བཀོད་འདོམས་ལྟེ་གནས་ཀྱིས་འཕྲལ་དུ་ཐག་གཅོད་བྱེད།',
    location: 'གནས་ས།', locating: 'གནས་ས་འཚོལ་བཞིན་པ།…', located: 'གནས་ས་རྙེད། (ཨེ་མི་ {meters} ཙམ།)', placedByHand: 'ས་ཁྲ་ཐོག་གནས་ས་འདེམས་ཟིན།', noLocation: 'གནས་ས་མ་རྙེད། ས་ཁྲ་ཐོག་འདེམས་ནས་ས་མིང་འབྲི་རོགས།', place: 'ས་ཆ།', placePlaceholder: 'དཔེར་ན། གསེར་སྦྲེལ་ནུབ་ལམ་ཨང་ 88',
    nearbyTitle: 'ཉེ་འཁོར་དུ་དོན་ཚན་འདི་དག་ཡོད། དཀའ་ངལ་གཅིག་པ་ཡིན་ནམ།', metres: 'ཨེ་མི་ {n}', same: 'འདི་ཡིན།', sameChosen: 'འདེམས་ཟིན། དཀའ་ངལ་གཅིག་པ།',
    submit: 'སྙན་ཞུ།', draft: 'ཟིན་བྲིས་ཉར།', queued: 'ཉར་ཟིན། གཏོང་བཞིན་པ།', savedDraft: 'ཟིན་བྲིས་ཉར་ཟིན།', needPhoto: 'སྔོན་ལ་པར་རྒྱག་རོགས།', needPlace: 'གནས་ས་ཁ་ཕྱེ་བའམ་ས་ཁྲ་ཐོག་འདེམས་རོགས།', needSomething: 'པར་རམ་སྐད་འཕྲིན། ཡང་ན་ཡི་གེ་ཅུང་ཟད་འབྲི་རོགས།',
  },
  queue: {
    title: 'གཏོང་རྒྱུ།', empty: 'གཏོང་རྒྱུ་མེད།',
    status: { draft: 'ཟིན་བྲིས།', pending: 'སྒུག་བཞིན་པ།', sending: 'གཏོང་བཞིན་པ།', sent: 'བཏང་ཟིན།', failed: 'གཏོང་མ་ཐུབ།' },
    sentAs: 'དོན་ཚན་ཨང་ {ref}', edit: 'བཟོ་བཅོས་བྱས་ནས་ཡང་གཏོང་།', remove: 'ཟིན་བྲིས་བསུབ།',
  },
  reports: {
    title: 'ངའི་སྙན་ཞུ།', empty: 'སྙན་ཞུ་མེད།', steps: 'ཐག་གཅོད་ཀྱི་གོ་རིམ།', before: 'སྙན་ཞུའི་པར།', after: 'བཅོས་རྗེས་ཀྱི་པར།', mergedInto: 'དོན་ཚན་ {ref} ནང་བསྡུས་ཟིན།',
    rate: 'དཔྱད་བརྗོད།', unitAtFault: 'ལས་ཁུངས་ལ་ཡིད་མ་ཚིམ།', comment: 'བསམ་འཆར། (མི་འབྲི་ཡང་ཆོག)', sendRating: 'དཔྱད་བརྗོད་གཏོང་།', rated: 'ངའི་དཔྱད་བརྗོད།', reopen: 'ལེགས་བཅོས་མ་བྱུང་། ཡང་བསྐྱར་ཐག་གཅོད།', reason: 'གང་ཞིག་ད་དུང་མ་གྲུབ།',
  },
  inbox: { title: 'བརྡ་འཕྲིན།', empty: 'བརྡ་འཕྲིན་མེད།', markAll: 'ཚང་མ་ཀློག་ཟིན།' },
  me: {
    title: 'ང་།', account: 'རྩིས་ཐོ།', points: 'ངའི་སྐར་གྲངས།', pointsUnit: 'སྐར།', held: 'སྐར་ {n} བརྗེ་བཞིན་པ།', language: 'སྐད་ཡིག', signedInAs: 'རྩིས་ཐོ། {name}',
    redeem: 'སྐར་གྲངས་བརྗེ་བ།', redeemPlaceholder: 'སྐར་ག་ཚོད།', redeemSubmit: 'རེ་ཞུ།', redemptionRequested: 'སྐར་ {points} (སྒོར་ {yuan}) བརྗེ་རྒྱུའི་རེ་ཞུ་བཏང་ཟིན། ཞིབ་བཤེར་རྗེས་སྤྲོད།',
    why: { not_a_member: 'ཁྱེད་ད་དུང་དྲ་མིག་ལས་མི་མིན། ཟས་རིགས་བདེ་འཇགས་ཀྱི་སྙན་ཞུ་ར་སྤྲོད་བྱུང་རྗེས་སྐར་ཐོབ།', not_appointed: 'ཁྱེད་ཀྱི་རེ་ཞུ་ཞིབ་བཤེར་བྱེད་བཞིན་པ། བསྐོ་བཞག་རྗེས་སྐར་རྩིས།' },
  },
  errors: {
    offline: 'དྲ་བ་མེད། རྗེས་སུ་རང་འགུལ་ཡང་བསྐྱར་ཚོད་ལྟ་བྱེད།',
    invalid_credentials: 'རྩིས་ཐོའམ་གསང་ཨང་ནོར་འདུག',
    account_locked: 'ནང་འཛུལ་ཐེངས་མང་པོ་ནོར་སོང་། རྗེས་སུ་ཚོད་ལྟ་གནང་།',
    too_many_login_attempts: 'ནང་འཛུལ་ཚོད་ལྟ་མང་དྲགས། རྗེས་སུ་ཚོད་ལྟ་གནང་།',
    rate_limited: 'མྱུར་དྲགས་འདུག རྗེས་སུ་ཚོད་ལྟ་གནང་།',
    unauthenticated: 'སྔོན་ལ་ནང་འཛུལ་གནང་།',
    invalid_token: 'ནང་འཛུལ་དུས་ཚོད་འདས་འདུག ཡང་བསྐྱར་ནང་འཛུལ་གནང་།',
    category_not_found: 'དཀའ་ངལ་གྱི་རིགས་དེ་མེད། ཡང་བསྐྱར་འདེམས་རོགས།',
    location_outside_service_area: 'ས་ཆ་འདི་ཞབས་ཞུའི་ཁྱབ་ཁོངས་སུ་མི་འདུག',
    description_required: 'ཡི་གེ་ཅུང་ཟད་དམ་པར། ཡང་ན་སྐད་འཕྲིན་ཞིག་གཏོང་རོགས།',
    media_required: 'དཀའ་ངལ་འདི་ལ་པར་དགོས།',
    too_many_media: 'པར་མང་དྲགས།',
    unsupported: 'ཡིག་ཆའི་རྣམ་པ་འདི་མི་ཆོག',
    file_too_large: 'ཡིག་ཆ་ཆེ་དྲགས་འདུག',
    master_not_found: 'ཁྱེད་ཀྱིས་འདེམས་པའི་དོན་ཚན་མེད། གསར་དུ་སྙན་ཞུ་གནང་།',
    score_required: 'སྔོན་ལ་སྐར་མ་སྤྲོད་རོགས།',
    already_rated: 'དཔྱད་བརྗོད་བྱས་ཟིན།',
    reopen_requires_dissatisfied_rating: 'སྔོན་ལ་ཡིད་མ་ཚིམ་པའི་དཔྱད་བརྗོད་བྱས་ནས་ཡང་བསྐྱར་ཐག་གཅོད་རེ་ཞུ་གནང་།',
    insufficient_points: 'སྐར་གྲངས་མི་འདང་།',
    not_a_member: 'ཁྱེད་ད་དུང་དྲ་མིག་ལས་མི་མིན།',
    validation_failed: 'འབྲི་བ་ནོར་འདུག {message}',
    unknown: 'ནོར་འཁྲུལ་བྱུང་། {message}',
  },
};
export default bo;
